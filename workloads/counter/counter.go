// Package counter is Gossip Glomers challenge 4, the grow-only counter
// (Maelstrom workload g-counter), and its sibling pn-counter, whose deltas
// may be negative. Nodes keep no authoritative state: the counter lives in
// Maelstrom's sequentially consistent seq-kv service.
//
// Use it as a binary (cmd/g-counter, cmd/pn-counter: node.Main(GCounter)),
// or in the simulator (sim.Config{Workload: "g-counter", Program: GCounter}).
// Flags after `--` tune it; -help lists them with their defaults.
//
// Design in brief. Node n writes only the key "counter/n", holding its share
// as a Record: the sum P of its positive deltas, the sum N of its negative
// ones' magnitudes, and a random tag of the process that wrote it. The
// counter is the sum of P − N over all nodes' keys.
//
//   - Adds are group-committed: one cas at a time from the key's confirmed
//     value to the node's absolute total covers every delta received so
//     far, and an add is answered only once a cas covering it is
//     acknowledged. Absolute totals make a retry after a lost reply safe:
//     it applies everything or fails because the lost one landed, and is
//     never counted twice.
//   - Reads are served from a cache of the other nodes' keys while it is
//     younger than -refresh. A refresh first writes to the node's private
//     key, which moves it onto seq-kv's newest state, then reads every
//     peer's key; answers merge by componentwise maximum, so a stale one
//     never moves the cache back.
//
// The protocol is Core, a plain state machine that takes events (an add, a
// read, a seq-kv reply, a tick) with their time and returns the seq-kv
// requests to send; server.go does the I/O around it. DESIGN.md has the
// argument for each choice; the README's generated tables (rows 4 and
// 4-pn) have the measured cost.
package counter

import (
	"context"
	"flag"
	"math"
	"time"

	"github.com/glomers/glomers/node"
)

// GCounter is the g-counter workload: deltas must not be negative.
var GCounter = program("g-counter", false,
	"A grow-only counter: add takes a non-negative integer delta, read returns the sum of every add. "+design)

// PNCounter is the pn-counter workload: deltas may have either sign.
var PNCounter = program("pn-counter", true,
	"A counter: add takes an integer delta of either sign, read returns the sum of every add. "+design)

const design = "State lives in seq-kv: per-node keys written by group-committed cas, read through a cache that a private write makes fresh."

func program(name string, signed bool, doc string) node.Program {
	return node.Program{Name: name, Doc: doc, New: func(fs *flag.FlagSet) node.Builder {
		cfg := declare(fs)
		return func(n *node.Node, init node.Init) (node.Handlers, error) {
			return build(n, init, workload{name: name, signed: signed, cfg: *cfg})
		}
	}}
}

// declare declares the counter's flags on fs; their defaults are the
// counter's defaults.
func declare(fs *flag.FlagSet) *Config {
	c := new(Config)
	fs.DurationVar(&c.Batch, "batch", 0, "least time between two seq-kv writes of the node's key (adds arriving meanwhile share one); 0: as soon as the previous one ends")
	fs.DurationVar(&c.Refresh, "refresh", 2*time.Second, "reads are served from a cache younger than this")
	fs.DurationVar(&c.KVTimeout, "kv-timeout", time.Second, "give up on an add's seq-kv request after this; send a read's again after this")
	fs.DurationVar(&c.AddTimeout, "add-timeout", 2*time.Second, "answer an add not yet durable after this with error 0")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", 4*time.Second, "answer a read whose cache refresh is not done after this with error 11 (seq-kv requests are resent until then)")
	return c
}

// workload is what the handlers need to know of the program.
type workload struct {
	name   string
	signed bool // deltas may be negative
	cfg    Config
	s      *server
}

// build builds the node's Core from init and returns its handlers.
func build(n *node.Node, init node.Init, w workload) (node.Handlers, error) {
	life := n.Rand()%math.MaxInt64 + 1 // 0 marks "no record"
	core, err := NewCore(w.cfg, init.ID, init.Peers(), life)
	if err != nil {
		return nil, err
	}
	w.s = newServer(node.NewKV(n, node.SeqKV), core)
	n.Go(w.s.loop)
	return node.Handlers{"add": node.Typed(w.add), "read": w.read}, nil
}

type addReq struct {
	Delta *int64 `json:"delta"` // required; a pointer tells null from 0
}

type addOK struct {
	Type string `json:"type"`
}

type readOK struct {
	Type  string `json:"type"`
	Value int64  `json:"value"`
}

// add answers add_ok once the delta is durable in seq-kv, error 12 for a
// delta it does not take, and error 0 (indefinite: it may still apply) when
// it is not durable within AddTimeout.
func (w workload) add(ctx context.Context, _ node.Message, req addReq) (any, error) {
	switch {
	case req.Delta == nil:
		return nil, node.NewError(node.CodeMalformedRequest, `add: "delta" must be an integer, not null`)
	case *req.Delta < 0 && !w.signed:
		return nil, node.NewError(node.CodeMalformedRequest, `add: %s only grows: "delta" %d < 0`, w.name, *req.Delta)
	}
	var (
		need Total
		err  error
	)
	w.s.step(func(c *Core, now time.Time) (reqs []Request) {
		need, reqs, err = c.Add(*req.Delta, now)
		return reqs
	})
	if err != nil {
		return nil, node.NewError(node.CodeMalformedRequest, `add: "delta": %v`, err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.AddTimeout)
	defer cancel()
	var last error
	if err := w.s.await(ctx, func(c *Core) (ok bool) { ok, last = c.Durable(need); return ok }); err != nil {
		return nil, node.NewError(node.CodeTimeout, "add %d not confirmed by seq-kv yet; it may still apply: %v (last flush: %v)", *req.Delta, err, last)
	}
	return addOK{Type: "add_ok"}, nil
}

// read answers with the value of a cache fresh enough, refreshing it first
// if it is not, or error 11 when the refresh fails.
func (w workload) read(ctx context.Context, _ node.Message) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.ReadTimeout)
	defer cancel()
	var ticket uint64
	w.s.step(func(c *Core, now time.Time) (reqs []Request) {
		ticket, reqs = c.Read(now)
		return reqs
	})
	var (
		v   int64
		err error
	)
	if werr := w.s.await(ctx, func(c *Core) (done bool) { v, done, err = c.Refreshed(ticket); return done }); werr != nil {
		err = werr
	}
	if err != nil {
		return nil, node.NewError(node.CodeTemporarilyUnavailable, "read: %v", err)
	}
	return readOK{Type: "read_ok", Value: v}, nil
}
