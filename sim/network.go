package sim

import (
	"bytes"
	"fmt"
	"github.com/glomers/glomers/internal/wire"
	"math/rand/v2"
	"time"
)

// kind is what sits at the end of a link.
type kind int

const (
	server kind = iota
	client
	service
)

// receiver takes delivered messages, on the loop's goroutine; receive must
// not block.
type receiver interface {
	receive(m *message)
}

// endpoint is one named party of the network.
type endpoint struct {
	id     string
	kind   kind
	index  int // position among the servers; -1 for others
	recv   receiver
	rng    *rand.Rand // latency draws of messages this endpoint sends
	closed bool       // a client closed after a crash: messages to it are counted and dropped
}

// message is one line in flight. line is the whole JSON message with its
// trailing newline, owned by the message.
type message struct {
	from, to *endpoint
	line     []byte
	sent     time.Duration // since the run began; set only when journaling (Config.Journal)
}

// network is the table of endpoints and Maelstrom's message counts. Only
// the loop's goroutine uses it: others hand their messages to the loop
// (loop.post), which routes them with route.
type network struct {
	endpoints map[string]*endpoint
	servers   []*endpoint
	lat       latency
	grudge    *grudge // nil when healed

	nAll, nClients, nServers, nDropped, nUnroutable int
}

func newNetwork(lat latency) *network {
	return &network{endpoints: make(map[string]*endpoint), lat: lat}
}

// add registers an endpoint.
func (nw *network) add(id string, k kind, recv receiver, rng *rand.Rand) *endpoint {
	e := &endpoint{id: id, kind: k, index: -1, recv: recv, rng: rng}
	if k == server {
		e.index = len(nw.servers)
		nw.servers = append(nw.servers, e)
	}
	nw.endpoints[id] = e
	return e
}

// route counts one message from an endpoint to dest and returns it with
// the delay it takes, as Maelstrom's network journals and queues it: links
// with a client at either end take no time, others a draw of the latency
// in whole milliseconds. A message to no such endpoint is refused and not
// counted (Maelstrom refuses it before journaling): route returns an
// error for it.
func (nw *network) route(from *endpoint, dest string, line []byte) (*message, time.Duration, error) {
	to := nw.endpoints[dest]
	if to == nil {
		nw.nUnroutable++
		return nil, 0, fmt.Errorf("%s sent a message to %q, which is no node, client or service: %.120q", from.id, dest, line)
	}
	nw.nAll++
	var d time.Duration
	if from.kind == client || to.kind == client {
		nw.nClients++
	} else {
		nw.nServers++
		d = nw.lat.draw(from.rng)
	}
	return &message{from: from, to: to, line: line}, d, nil
}

// deliver hands a message to its receiver unless a partition cuts it or
// its receiver is a closed client.
func (nw *network) deliver(m *message) {
	if g := nw.grudge; g != nil && m.from.kind == server && m.to.kind == server && g.drops(m.to.index, m.from.index) {
		nw.nDropped++
		return
	}
	if !m.to.closed {
		m.to.recv.receive(m)
	}
}

// reachesMajority reports whether server id can exchange messages both
// ways with a majority of the servers, itself included, under the current
// partition.
func (nw *network) reachesMajority(id string) bool {
	g := nw.grudge
	if g == nil {
		return true
	}
	i := nw.endpoints[id].index
	n := 0
	for j := range nw.servers {
		if !g.drops(i, j) && !g.drops(j, i) {
			n++
		}
	}
	return n > len(nw.servers)/2
}

// stats returns the message counts, per op over ops.
func (nw *network) stats(ops int) NetStats {
	per := func(n int) MsgCount {
		c := MsgCount{Msgs: n}
		if ops > 0 {
			c.MsgsPerOp = float64(n) / float64(ops)
		}
		return c
	}
	return NetStats{
		All:        per(nw.nAll),
		Clients:    per(nw.nClients),
		Servers:    per(nw.nServers),
		Dropped:    nw.nDropped,
		Unroutable: nw.nUnroutable,
	}
}

// envelope builds the line for a message the simulator itself sends (from
// a client or a service), laid out exactly as package node lays out its own.
func envelope(src, dest string, body []byte, key string, val int64) []byte {
	return wire.AppendEnvelope(make([]byte, 0, len(body)+len(src)+len(dest)+48), src, dest, body, key, val)
}

// header reads src and dest of a line. Lines written by package node start
// exactly with {"src":"…","dest":"…" and are read without parsing the rest
// (the body may be large, and only its receiver needs it); anything else
// goes through wire.ParseLine.
func header(line []byte) (src, dest string, ok bool) {
	const p1, p2 = `{"src":"`, `","dest":"`
	if rest, found := bytes.CutPrefix(line, []byte(p1)); found {
		if i := bytes.IndexAny(rest, `"\`); i >= 0 && rest[i] == '"' {
			if rest2, found := bytes.CutPrefix(rest[i:], []byte(p2)); found {
				if j := bytes.IndexAny(rest2, `"\`); j >= 0 && rest2[j] == '"' {
					return string(rest[:i]), string(rest2[:j]), true
				}
			}
		}
	}
	msg, _, err := wire.ParseLine(line)
	if err != nil || msg.Dest == "" {
		return "", "", false
	}
	return msg.Src, msg.Dest, true
}
