package counter

import (
	"testing"

	"github.com/glomers/glomers/node"
)

// TestView plays the view's scenarios: when a read refreshes the cache,
// how a refresh forces freshness, merges answers and resends requests, and
// how it ends.
func TestView(t *testing.T) {
	missing := node.NewError(node.CodeKeyDoesNotExist, "not found")
	run(t, []scenario{
		{name: "a read writes for freshness, then reads every peer", steps: []step{
			read("write fresh/n0 7/1"),
			waiting,
			ok("write", "read counter/n1", "read counter/n2"),
			okRead("read counter/n1", rec(10, 20, 2)),
			waiting,
			okRead("read counter/n2", rec(100, 0, 3)),
			served(90),
		}},
		{name: "a cache younger than refresh is served without requests", steps: []step{
			read("write fresh/n0 7/1"),
			ok("write", "read counter/n1", "read counter/n2"),
			okRead("read counter/n1", rec(5, 0, 2)),
			fail("read counter/n2", missing), // n2 has written nothing yet
			served(5),
			at(1999),
			read(),
			served(5),
			at(2000),
			read("write fresh/n0 7/2"),
			waiting,
		}},
		{name: "a recent own cas stands in for the freshness write", steps: []step{
			add(1, "cas counter/n0 +0-0@0→+1-0@7"),
			ok("cas"),
			at(1000),
			read("read counter/n1", "read counter/n2"),
			okRead("read counter/n1", rec(5, 0, 2)),
			okRead("read counter/n2", rec(0, 3, 3)),
			served(3),
			at(3000),
			read("write fresh/n0 7/1"), // the cas is 3 s old now
		}},
		{name: "a stale answer never moves the cache back", steps: []step{
			read("write fresh/n0 7/1"),
			ok("write", "read counter/n1", "read counter/n2"),
			okRead("read counter/n1", rec(5, 1, 2)),
			okRead("read counter/n2", rec(2, 0, 3)),
			served(6),
			at(2000),
			read("write fresh/n0 7/2"),
			ok("write", "read counter/n1", "read counter/n2"),
			okRead("read counter/n1", rec(3, 2, 2)), // older P, newer N
			okRead("read counter/n2", rec(1, 0, 3)),
			served(5), // +5-2 and +2-0: the componentwise maxima
		}},
		{name: "concurrent reads share one refresh", steps: []step{
			read("write fresh/n0 7/1"),
			read(),
			read(),
			ok("write", "read counter/n1", "read counter/n2"),
			ok("read counter/n1"),
			ok("read counter/n2"),
			served(0),
		}},
		{name: "an unanswered request is sent again and a late first answer counts", steps: []step{
			read("write fresh/n0 7/1"),
			at(1000, "write fresh/n0 7/2"),
			late("write", "read counter/n1", "read counter/n2"),
			ok("write"), // the copy's answer changes nothing
			at(2000, "read counter/n1", "read counter/n2"),
			okRead("read counter/n2", rec(4, 0, 3)),
			at(3000, "read counter/n1"),
			waiting,
			late("read counter/n1"),
			served(4),
		}},
		{name: "a refresh fails at read-timeout and the next read starts another", steps: []step{
			read("write fresh/n0 7/1"),
			at(3000, "write fresh/n0 7/2", "write fresh/n0 7/3", "write fresh/n0 7/4"),
			waiting,
			at(4000),
			failed,
			read("write fresh/n0 7/5"),
			waiting,
		}},
		{name: "a definite error fails the refresh", steps: []step{
			read("write fresh/n0 7/1"),
			ok("write", "read counter/n1", "read counter/n2"),
			fail("read counter/n1", node.NewError(node.CodeTemporarilyUnavailable, "busy")),
			failed,
			ok("read counter/n2"), // too late: changes nothing
			read("write fresh/n0 7/2"),
		}},
	})
}

// TestReadAlone: a node with no peers writes for freshness and serves its
// own total.
func TestReadAlone(t *testing.T) {
	cfg, _ := config()
	c, err := NewCore(cfg, "n0", nil, testLife)
	if err != nil {
		t.Fatal(err)
	}
	ticket, reqs := c.Read(t0)
	if len(reqs) != 1 || reqs[0].String() != "write fresh/n0 7/1" {
		t.Fatalf("read sent %v, want one freshness write", reqs)
	}
	if reqs := c.Reply(Reply{ID: reqs[0].ID}, t0); len(reqs) != 0 {
		t.Errorf("write's answer sent %v", reqs)
	}
	if v, done, err := c.Refreshed(ticket); v != 0 || !done || err != nil {
		t.Errorf("Refreshed = %d, %v, %v; want 0, done", v, done, err)
	}
}
