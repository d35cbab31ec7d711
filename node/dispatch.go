package node

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	maelstrom "github.com/jepsen-io/maelstrom/demo/go"
)

// This file is the machinery behind Run: routing each input line, running
// handlers, init and periodic tasks, and answering with errors.

// shutdown fails every RPC still waiting: with input gone no reply comes.
func (n *Node) shutdown() {
	n.pendingMu.Lock()
	n.closed = true
	for id, ch := range n.pending {
		close(ch)
		delete(n.pending, id)
	}
	n.pendingMu.Unlock()
}

func (n *Node) startTasks(ctx context.Context, wg *sync.WaitGroup) {
	for _, t := range n.tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(t.every)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					n.runTask(ctx, t.fn)
				}
			}
		}()
	}
}

// runTask runs one call of a periodic task, logging a panic instead of
// letting it stop the node.
func (n *Node) runTask(ctx context.Context, fn func(ctx context.Context)) {
	defer func() {
		if p := recover(); p != nil {
			n.log.Error().Interface("panic", p).Bytes("stack", debug.Stack()).Msg("periodic task panicked")
		}
	}()
	fn(ctx)
}

// dispatch routes one input line: replies to their waiting RPC, init to the
// runtime, requests to their handler on a new goroutine.
func (n *Node) dispatch(ctx context.Context, line []byte, afterInit func()) {
	msg, hdr, err := ParseLine(line)
	if err != nil {
		n.log.Warn().Err(err).Int("bytes", len(line)).Msg("dropping input line that is not a Maelstrom message")
		return
	}
	if e := n.log.Debug(); e.Enabled() {
		e.Str("src", msg.Src).Str("type", hdr.Type).Int64("msg_id", hdr.MsgID).Int64("in_reply_to", hdr.InReplyTo).Msg("recv")
	}

	if hdr.InReplyTo != 0 {
		n.pendingMu.Lock()
		ch, ok := n.pending[hdr.InReplyTo]
		delete(n.pending, hdr.InReplyTo)
		n.pendingMu.Unlock()
		if !ok {
			n.log.Debug().Str("src", msg.Src).Int64("in_reply_to", hdr.InReplyTo).Msg("dropping reply to an unknown or expired rpc")
			return
		}
		ch <- inbound{msg, hdr} // one-slot buffer, one sender: never blocks
		return
	}

	switch {
	case hdr.Type == "init":
		n.init(ctx, msg, hdr, afterInit)
		return
	case hdr.Type == "":
		n.fail(msg, hdr, NewError(CodeMalformedRequest, "message body has no type"))
		return
	case n.ident.Load() == nil:
		n.fail(msg, hdr, NewError(CodeTemporarilyUnavailable, "node not initialised yet: %s before init", hdr.Type))
		return
	}
	h, ok := n.handlers[hdr.Type]
	if !ok {
		n.fail(msg, hdr, NewError(CodeNotSupported, "unsupported message type %q", hdr.Type))
		return
	}
	n.handlersWG.Add(1)
	n.workers.run(func() {
		defer n.handlersWG.Done()
		reply, err := n.call(ctx, h, msg)
		if err != nil {
			n.fail(msg, hdr, err)
			return
		}
		if reply == nil {
			return
		}
		if hdr.MsgID == 0 {
			n.log.Debug().Str("src", msg.Src).Str("type", hdr.Type).Msg("handler replied to a message that expects no reply; dropped")
			return
		}
		if err := n.write(n.ID(), msg.Src, reply, "in_reply_to", hdr.MsgID); err != nil {
			n.log.Warn().Err(err).Msg("reply failed")
		}
	})
}

// call runs a handler and encodes its reply (nil when there is none). A
// panic, in the handler or in encoding its reply, becomes a crash error (13,
// indefinite: the handler may have done part of its work), and so does a
// reply that does not encode to a JSON object, so that the client is always
// answered and one bad request cannot stop the node.
func (n *Node) call(ctx context.Context, h HandlerFunc, msg Message) (reply []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			n.log.Error().Str("src", msg.Src).Interface("panic", p).Bytes("stack", debug.Stack()).Msg("handler panicked")
			reply, err = nil, NewError(CodeCrash, "handler panicked: %v", p)
		}
	}()
	body, err := h(ctx, msg)
	if err != nil || body == nil {
		return nil, err
	}
	if reply, err = encodeBody(body); err != nil {
		return nil, NewError(CodeCrash, "reply: %v", err)
	}
	return reply, nil
}

func (n *Node) init(ctx context.Context, msg Message, hdr Header, afterInit func()) {
	var body maelstrom.InitMessageBody
	if err := json.Unmarshal(msg.Body, &body); err != nil || body.NodeID == "" {
		n.fail(msg, hdr, NewError(CodeMalformedRequest, "init needs node_id and node_ids"))
		return
	}
	if n.ident.Load() != nil {
		n.fail(msg, hdr, NewError(CodeMalformedRequest, "node already initialised as %s", n.ID()))
		return
	}
	n.ident.Store(&identity{id: body.NodeID, ids: body.NodeIDs})
	for _, hook := range n.onInit {
		if err := runHook(ctx, hook); err != nil {
			n.ident.Store(nil)
			n.fail(msg, hdr, fmt.Errorf("init hook: %w", err))
			return
		}
	}
	if err := n.write(body.NodeID, msg.Src, []byte(`{"type":"init_ok"}`), "in_reply_to", hdr.MsgID); err != nil {
		n.log.Warn().Err(err).Msg("init_ok failed")
	}
	n.log.Info().Str("id", body.NodeID).Int("nodes", len(body.NodeIDs)).Msg("initialised")
	afterInit()
}

// runHook runs an init hook, turning a panic into its error.
func runHook(ctx context.Context, hook func(context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return hook(ctx)
}

// fail logs err and, if the message expects a reply, answers it with an
// error body.
func (n *Node) fail(msg Message, hdr Header, err error) {
	e := ErrorFor(err)
	if hdr.MsgID == 0 {
		n.log.Warn().Err(err).Str("src", msg.Src).Str("type", hdr.Type).Msg("dropping message")
		return
	}
	lvl := n.log.Debug()
	if e.Code == CodeCrash || e.Code == CodeMalformedRequest || e.Code == CodeNotSupported {
		lvl = n.log.Warn()
	}
	lvl.Err(err).Str("src", msg.Src).Str("type", hdr.Type).Int("code", e.Code).Msg("error reply")
	src := n.ID()
	if src == "" {
		src = msg.Dest // not initialised: answer as whom the sender addressed
	}
	if err := n.write(src, msg.Src, e.body(), "in_reply_to", hdr.MsgID); err != nil {
		n.log.Warn().Err(err).Msg("error reply failed")
	}
}

func bodyType(body []byte) string {
	hdr, _ := parseHeader(body)
	return strconv.Quote(hdr.Type)
}
