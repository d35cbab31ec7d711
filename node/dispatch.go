package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/glomers/glomers/internal/wire"
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
			if t.every == 0 {
				n.runTask(ctx, t.fn)
				return
			}
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

// runTask runs one call of a task, logging a panic instead of letting it
// stop the node.
func (n *Node) runTask(ctx context.Context, fn func(ctx context.Context)) {
	defer func() {
		if p := recover(); p != nil {
			n.log.Error().Interface("panic", p).Bytes("stack", debug.Stack()).Msg("task panicked")
		}
	}()
	fn(ctx)
}

// dispatch routes one input line: replies to their waiting RPC, init to the
// runtime, requests to their handler on a new goroutine.
func (n *Node) dispatch(ctx context.Context, line []byte, tasks *sync.WaitGroup) {
	env, hdr, err := wire.ParseLine(line)
	msg := Message(env)
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

	handlers := n.handlers.Load()
	switch {
	case hdr.Type == "init":
		n.init(ctx, msg, hdr, tasks)
		return
	case hdr.Type == "":
		n.fail(msg, hdr, NewError(CodeMalformedRequest, "message body has no type"))
		return
	case handlers == nil:
		n.fail(msg, hdr, NewError(CodeTemporarilyUnavailable, "node not initialised yet: %s before init", hdr.Type))
		return
	case msg.Dest != n.ID():
		n.fail(msg, hdr, NewError(CodeMalformedRequest, "%s addressed to %q reached %s", hdr.Type, msg.Dest, n.ID()))
		return
	}
	h, ok := (*handlers)[hdr.Type]
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

// init answers the init message: it checks it, builds the workload, starts
// its tasks and sends init_ok. A failed build leaves the node uninitialised.
func (n *Node) init(ctx context.Context, msg Message, hdr wire.Header, tasks *sync.WaitGroup) {
	var body struct {
		NodeID  string   `json:"node_id"`
		NodeIDs []string `json:"node_ids"`
	}
	switch err := json.Unmarshal(msg.Body, &body); {
	case err != nil || body.NodeID == "":
		n.fail(msg, hdr, NewError(CodeMalformedRequest, "init needs node_id and node_ids"))
		return
	case !slices.Contains(body.NodeIDs, body.NodeID):
		n.fail(msg, hdr, NewError(CodeMalformedRequest, "init: node_id %q is not in node_ids %q", body.NodeID, body.NodeIDs))
		return
	case n.ident.Load() != nil:
		n.fail(msg, hdr, NewError(CodeMalformedRequest, "node already initialised as %s", n.ID()))
		return
	}
	init := Init{ID: body.NodeID, IDs: body.NodeIDs}
	n.ident.Store(&init)
	handlers, err := n.runBuild(init)
	if err != nil {
		n.ident.Store(nil)
		n.tasks = nil
		n.fail(msg, hdr, fmt.Errorf("init: %w", err))
		return
	}
	n.handlers.Store(&handlers)
	n.startTasks(ctx, tasks)
	if err := n.write(body.NodeID, msg.Src, []byte(`{"type":"init_ok"}`), "in_reply_to", hdr.MsgID); err != nil {
		n.log.Warn().Err(err).Msg("init_ok failed")
	}
	n.log.Info().Str("id", body.NodeID).Int("nodes", len(body.NodeIDs)).Msg("initialised")
}

// runBuild runs the Builder, turning a panic into its error; the init
// message is answered with it and nothing of the build is kept.
func (n *Node) runBuild(init Init) (h Handlers, err error) {
	defer func() {
		if p := recover(); p != nil {
			n.log.Error().Interface("panic", p).Bytes("stack", debug.Stack()).Msg("builder panicked")
			h, err = nil, NewError(CodeCrash, "builder panicked: %v", p)
		}
	}()
	if n.build == nil {
		return Handlers{}, nil
	}
	h, err = n.build(n, init)
	if err == nil && h == nil {
		h = Handlers{}
	}
	if _, ok := h["init"]; ok && err == nil {
		err = errors.New("a workload cannot handle init: the runtime does")
	}
	return h, err
}

// fail logs err and, if the message expects a reply, answers it with an
// error body.
func (n *Node) fail(msg Message, hdr wire.Header, err error) {
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
	hdr, _ := wire.ParseHeader(body)
	return strconv.Quote(hdr.Type)
}
