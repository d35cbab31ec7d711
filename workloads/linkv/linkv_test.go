package linkv

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/rs/zerolog"
)

// want fails the test unless reply is of type typ (and, for an error, of
// code and mentioning text).
func want(t *testing.T, what string, reply map[string]any, typ string, code int, text string) {
	t.Helper()
	switch {
	case reply == nil:
		t.Fatalf("%s: no reply", what)
	case reply["type"] != typ:
		t.Fatalf("%s: got %v, want %s", what, reply, typ)
	case typ == "error" && (reply["code"] != float64(code) || !strings.Contains(fmt.Sprint(reply["text"]), text)):
		t.Fatalf("%s: got %v, want error %d naming %q", what, reply, code, text)
	}
}

func TestReadWriteCasOnEveryNode(t *testing.T) {
	inBubble(t, 3, func(c *cluster) {
		want(t, "read of a missing key", c.call("n1", `{"type":"read","key":1}`, time.Second), "error", 20, "")
		want(t, "cas of a missing key", c.call("n2", `{"type":"cas","key":1,"from":0,"to":1}`, time.Second), "error", 20, "")
		want(t, "write", c.call("n0", `{"type":"write","key":1,"value":3}`, time.Second), "write_ok", 0, "")
		for _, n := range c.ids {
			r := c.call(n, `{"type":"read","key":1}`, time.Second)
			if want(t, "read at "+n, r, "read_ok", 0, ""); r["value"] != float64(3) {
				t.Fatalf("read at %s = %v, want 3", n, r)
			}
		}
		want(t, "cas from the wrong value", c.call("n1", `{"type":"cas","key":1,"from":2,"to":4}`, time.Second), "error", 22, "holds 3")
		want(t, "cas", c.call("n2", `{"type":"cas","key":1,"from":3,"to":4}`, time.Second), "cas_ok", 0, "")
		r := c.call("n0", `{"type":"read","key":1}`, time.Second)
		if r["value"] != float64(4) {
			t.Fatalf("read after cas = %v, want 4", r)
		}
	})
}

func TestMalformedRequestsNameTheField(t *testing.T) {
	inBubble(t, 3, func(c *cluster) {
		want(t, "write without value", c.call("n0", `{"type":"write","key":1}`, time.Second), "error", 12, `"value"`)
		want(t, "cas with a string", c.call("n1", `{"type":"cas","key":1,"from":"a","to":2}`, time.Second), "error", 12, "from")
		want(t, "read of null", c.call("n2", `{"type":"read","key":null}`, time.Second), "error", 12, `"key"`)
	})
}

// TestIsolatedNodeRefusesAtOnce: a node cut off from every other knows it
// within a few election timeouts, and then answers 11 at once, while the
// majority goes on serving; after the heal it serves again.
func TestIsolatedNodeRefusesAtOnce(t *testing.T) {
	inBubble(t, 3, func(c *cluster) {
		c.isolate("n2")
		time.Sleep(2 * time.Second)
		start := time.Now()
		want(t, "write at the cut-off node", c.call("n2", `{"type":"write","key":5,"value":1}`, time.Second), "error", 11, "majority")
		want(t, "read at the cut-off node", c.call("n2", `{"type":"read","key":5}`, time.Second), "error", 11, "majority")
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Fatalf("refusals took %v", d)
		}
		want(t, "write in the majority", c.call("n0", `{"type":"write","key":5,"value":2}`, time.Second), "write_ok", 0, "")
		want(t, "write in the majority", c.call("n1", `{"type":"cas","key":5,"from":2,"to":3}`, time.Second), "cas_ok", 0, "")
		c.heal()
		time.Sleep(time.Second)
		r := c.call("n2", `{"type":"read","key":5}`, time.Second)
		if r["value"] != float64(3) {
			t.Fatalf("read at the healed node = %v, want 3", r)
		}
	})
}

func TestUsageListsFlags(t *testing.T) {
	u := Program.Usage()
	for _, f := range []string{"-batch", "-heartbeat", "-election-timeout", "-isolate-after", "-tick", "-max-batch", "-max-inflight", "-op-timeout"} {
		if !strings.Contains(u, f) {
			t.Errorf("usage does not list %s:\n%s", f, u)
		}
	}
	if _, err := Program.Builder([]string{"-heartbeat", "1s"}); err != nil {
		t.Fatalf("flags refused: %v", err)
	}
}

// TestBadTimingFailsInit: timings Raft cannot run with are refused at
// init, naming the problem.
func TestBadTimingFailsInit(t *testing.T) {
	build, err := Program.Builder([]string{"-heartbeat", "1s", "-election-timeout", "500ms"})
	if err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		in := &inbox{ch: make(chan []byte, 8)}
		c := &cluster{t: t, in: map[string]*inbox{"n0": in}, cut: map[[2]string]bool{}, calls: map[int64]chan node.Message{}, sent: map[string]int{}}
		nd := node.New(build, node.WithIO(in, outbox{c}), node.WithLogger(zerolog.Nop()))
		go func() { _ = nd.Run(context.Background()) }()
		r := c.call("n0", `{"type":"init","node_id":"n0","node_ids":["n0"]}`, time.Second)
		want(t, "init", r, "error", node.CodeCrash, "heartbeat")
		close(in.ch)
	})
}
