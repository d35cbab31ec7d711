// The lin-kv workload, as Maelstrom 0.2.3 runs it: maelstrom.workload.lin-kv
// (its client) over Jepsen 0.3.1's jepsen.tests.linearizable-register (its
// generator and checker), whose keys are split among groups of client
// threads by jepsen.independent's concurrent-generator.
//
// See the package comment (doc.go) for what the simulator does of it.

package spec

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/gen"
)

// How lin-kv operations look in the history (sim.Op and gen.Op): every
// value is a linKV, Jepsen's independent tuple [k v] with the register
// operation's value typed by :f.
//
//	F        Value (invocation)              Out (completion)
//	"read"   linKV{Key: k}                   ok: linKV{Key: k, Read: "3"}
//	"write"  linKV{Key: k, Value: v}         the invocation's value
//	"cas"    linKV{Key: k, From: v, To: v'}  the invocation's value
//
// Read is the canonical JSON text of the value the server returned (see
// canonical: "3", "null", "1.0", "\"x\""), so that any JSON a broken
// server returns is kept and compares as Clojure's = would; "" in
// invocations and in reads that did not complete ok. A completion that is
// not ok carries its invocation's value, as with-errors leaves it.
type linKV struct {
	Key      int64
	Value    int64  // write: the value written
	From, To int64  // cas: from, to
	Read     string // ok read: what was read
}

// tuple renders the value of an operation of :f f as Jepsen prints it:
// [3 nil], [3 4], [3 [1 2]].
func (v linKV) tuple(f string) string {
	switch f {
	case "write":
		return fmt.Sprintf("[%d %d]", v.Key, v.Value)
	case "cas":
		return fmt.Sprintf("[%d [%d %d]]", v.Key, v.From, v.To)
	}
	if v.Read == "" {
		return fmt.Sprintf("[%d nil]", v.Key)
	}
	return fmt.Sprintf("[%d %s]", v.Key, v.Read)
}

// lin-kv's constants, from the sources.
const (
	// linKVProcessLimit is linearizable-register's :process-limit
	// default: a key's generator ends once more than this many processes
	// have belonged to its group of threads.
	linKVProcessLimit = 20
	// linKVValues is the range of values written: (rand-int 5).
	linKVValues = 5
	// linKVKeyTimeout caps the linearizability search of one key (Knossos
	// has no cap; porcupine's search, like Knossos's, is exponential in
	// the worst case). A key that hits it makes the run unknown.
	linKVKeyTimeout = 60 * time.Second
)

// linKVSpec is the lin-kv workload of one run.
type linKVSpec struct {
	nodes   int           // server count: threads per key are twice that
	timeout time.Duration // the client's RPC timeout

	// keyTimeout caps the checker's search per key; dir is where the
	// visualisations of keys that are not linearizable go ("": a fresh
	// file in os.TempDir()).
	keyTimeout time.Duration
	dir        string
}

// newLinKVSpec returns the lin-kv spec for cfg. It refuses what Maelstrom
// cannot run: independent's concurrent-generator asserts that the client
// threads split exactly into groups of 2 × node-count (Maelstrom's default
// --concurrency 1n never does), and with more than 10 nodes a group is
// past the process limit of 20 at its first operation, so that every key's
// generator ends at once and Jepsen's generator spins through keys
// forever.
func newLinKVSpec(cfg sim.Config) (sim.Spec, error) {
	cfg = cfg.WithDefaults()
	group := 2 * cfg.NodeCount
	switch {
	case group > linKVProcessLimit:
		return nil, fmt.Errorf("lin-kv runs each key on 2 × node-count = %d threads, more than the %d processes a key may have: "+
			"Maelstrom's generator would retire every key at its first operation and never issue one; use at most %d nodes",
			group, linKVProcessLimit, linKVProcessLimit/2)
	case cfg.Concurrency < group:
		return nil, fmt.Errorf("with %d worker threads, lin-kv cannot run a key with %d (2 × node-count) threads concurrently; "+
			"raise --concurrency to at least %d (2n)", cfg.Concurrency, group, group)
	case cfg.Concurrency%group != 0:
		return nil, fmt.Errorf("lin-kv has %d threads to work with but can only use %d of them to run %d keys with %d threads apiece; "+
			"make --concurrency a multiple of %d (2n)", cfg.Concurrency, cfg.Concurrency/group*group, cfg.Concurrency/group, group, group)
	}
	s := &linKVSpec{
		nodes:      cfg.NodeCount,
		timeout:    max(10*cfg.Latency, time.Second),
		keyTimeout: linKVKeyTimeout,
		dir:        cfg.LogDir,
	}
	return s, nil
}

// Preamble implements sim.Spec: lin-kv has none.
func (*linKVSpec) Preamble([]string) map[string]sim.Body { return nil }

// Generators implements sim.Spec as linearizable-register's test does it
// for Maelstrom (no :per-key-limit, :process-limit 20): independent's
// concurrent-generator over keys 0, 1, 2, … in groups of 2n threads, each
// key running (gen/process-limit 20 (gen/reserve n r (gen/mix [w cas
// cas]))). There is no final generator.
func (s *linKVSpec) Generators(*gen.Test) (gen.Gen, gen.Gen) {
	return gen.Clients(gen.Independent(2*s.nodes, func(k int64) gen.Gen {
		return linKVTuple(k, gen.ProcessLimit(linKVProcessLimit, linKVRegister(s.nodes)))
	})), nil
}

// linKVRegister is one key's register operations as linearizable-register
// draws them: the first n threads (of the whole run: gen/reserve counts
// threads from 0, so only the first group's threads fall in its range)
// read, the rest write and cas, one write to two cas, values in [0, 5).
func linKVRegister(n int) gen.Gen {
	reads := gen.FuncOp(func(*gen.Test) gen.Op { return gen.Op{F: "read"} })
	writes := gen.FuncOp(func(t *gen.Test) gen.Op {
		return gen.Op{F: "write", Value: linKV{Value: int64(t.Rand.IntN(linKVValues))}}
	})
	cas := gen.FuncOp(func(t *gen.Test) gen.Op {
		from := int64(t.Rand.IntN(linKVValues))
		return gen.Op{F: "cas", Value: linKV{From: from, To: int64(t.Rand.IntN(linKVValues))}}
	})
	return gen.Reserve([]int{n}, []gen.Gen{reads}, gen.Mix(writes, cas, cas))
}

// linKVTuple is independent's tuple-gen: it puts key k into the value of
// each operation of g.
func linKVTuple(k int64, g gen.Gen) gen.Gen {
	return gen.Map(func(op gen.Op) gen.Op {
		v, _ := op.Value.(linKV)
		v.Key = k
		op.Value = v
		return op
	}, g)
}

// Reusable implements sim.Spec: Maelstrom's lin-kv client is.
func (*linKVSpec) Reusable() bool { return true }

// Invoke implements sim.Spec with lin_kv.clj's client: one read, write or
// cas RPC with a timeout of max(10 × mean latency, 1 s), under with-errors
// with :read idempotent. Replies must match the RPC's schema exactly
// (read_ok has a value, any JSON; write_ok and cas_ok nothing else), or
// the client crashes.
func (s *linKVSpec) Invoke(c *sim.Conn, node string, op gen.Op) (gen.Op, error) {
	return s.invoke(linKVConn{c, s.timeout}, node, op)
}

// linKVConn is a connection whose RPCs all take the workload's timeout.
type linKVConn struct {
	*sim.Conn
	timeout time.Duration
}

// RPC implements rpcConn with the connection's own timeout.
func (c linKVConn) RPC(dest string, body any, _ time.Duration, out any) error {
	return c.Conn.RPC(dest, body, c.timeout, out)
}

func (s *linKVSpec) invoke(c rpcConn, node string, op gen.Op) (gen.Op, error) {
	v, ok := op.Value.(linKV)
	if !ok {
		return op, fmt.Errorf("lin-kv client: %s op with value %v (%T), want a linKV", op.F, op.Value, op.Value)
	}
	var err error
	switch op.F {
	case "read":
		var reply map[string]any
		reply, err = typedRPC(c, node, map[string]any{"type": "read", "key": v.Key}, "read_ok",
			rpcField{"value", func(raw json.RawMessage) (any, error) { return canonical(raw) }})
		if err == nil {
			v.Read = reply["value"].(string)
		}
	case "write":
		_, err = typedRPC(c, node, map[string]any{"type": "write", "key": v.Key, "value": v.Value}, "write_ok")
	case "cas":
		_, err = typedRPC(c, node, map[string]any{"type": "cas", "key": v.Key, "from": v.From, "to": v.To}, "cas_ok")
	default:
		return op, fmt.Errorf("lin-kv client: unknown op %q", op.F)
	}
	if err != nil {
		return sim.WithErrors(op, op.F == "read", err)
	}
	op.Type, op.Value = gen.OK, v
	return op, nil
}

// visualization returns a new file for the visualisation of key k: in the
// run's log directory when it has one (named by the key, so a run's report
// stays the same from run to run), else a fresh file in the system's
// temporary directory.
func (s *linKVSpec) visualization(k int64) (*os.File, error) {
	if s.dir == "" {
		return os.CreateTemp("", "lin-kv-key-"+strconv.FormatInt(k, 10)+"-*.html")
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, err
	}
	return os.Create(filepath.Join(s.dir, "lin-kv-key-"+strconv.FormatInt(k, 10)+".html"))
}
