package counter

import (
	"testing"

	"github.com/glomers/glomers/node"
)

// TestOwner plays the owner's scenarios: group commit, batch spacing, and
// every way a cas's outcome can be unknown, none of which may lose or
// double-count a delta.
func TestOwner(t *testing.T) {
	precondition := node.NewError(node.CodePreconditionFailed, "current value is not from")
	run(t, []scenario{
		{name: "an add on an idle node writes at once", steps: []step{
			add(1, "cas counter/n0 +0-0@0→+1-0@7"),
			durable(false),
			ok("cas"),
			durable(true),
			value(1),
		}},
		{name: "adds during a cas share the next one", steps: []step{
			add(1, "cas counter/n0 +0-0@0→+1-0@7"),
			add(2),
			add(-3),
			durable(false),
			ok("cas", "cas counter/n0 +1-0@7→+3-3@7"),
			durable(false),
			ok("cas"),
			durable(true),
			value(0),
		}},
		{name: "batch spaces the starts of two cas", args: []string{"-batch", "100ms"}, steps: []step{
			add(1, "cas counter/n0 +0-0@0→+1-0@7"),
			ok("cas"),
			add(1),
			at(99),
			at(100, "cas counter/n0 +1-0@7→+2-0@7"),
			ok("cas"),
			durable(true),
		}},
		{name: "a zero delta needs no write", steps: []step{
			add(0),
			durable(true),
			at(5000),
		}},
		{name: "a lost cas is retried from the same confirmed value", steps: []step{
			add(5, "cas counter/n0 +0-0@0→+5-0@7"),
			at(1000), // timed out: retried after retryDelay, an add waiting
			add(-2),
			at(1050, "cas counter/n0 +0-0@0→+5-2@7"),
			ok("cas counter/n0 +0-0@0→+5-2@7"),
			durable(true),
			value(3),
		}},
		{name: "a timed-out cas that lands later cannot apply", steps: []step{
			add(5, "cas counter/n0 +0-0@0→+5-0@7"),
			at(1000),
			add(-2),
			at(1050, "cas counter/n0 +0-0@0→+5-2@7"),
			ok("cas counter/n0 +0-0@0→+5-2@7"),
			// The first cas reaches seq-kv now: its from no longer matches.
			fail("cas counter/n0 +0-0@0→+5-0@7", precondition),
			durable(true),
			value(3),
		}},
		{name: "a timed-out cas that landed is read back and built on", steps: []step{
			add(5, "cas counter/n0 +0-0@0→+5-0@7"),
			at(1000), // it applied; its reply was lost
			add(-2),
			at(1050, "cas counter/n0 +0-0@0→+5-2@7"),
			fail("cas counter/n0 +0-0@0→+5-2@7", precondition, "read counter/n0"),
			okRead("read counter/n0", rec(5, 0, testLife), "cas counter/n0 +5-0@7→+5-2@7"),
			ok("cas"),
			durable(true),
			value(3),
		}},
		{name: "a restarted node builds on its previous life's total", steps: []step{
			add(5, "cas counter/n0 +0-0@0→+5-0@7"),
			fail("cas", precondition, "read counter/n0"),
			okRead("read counter/n0", rec(10, 4, 99), "cas counter/n0 +10-4@99→+15-4@7"),
			at(1000), // lost
			durable(false),
			at(1050, "cas counter/n0 +10-4@99→+15-4@7"),
			ok("cas"),
			durable(true),
			value(11),
		}},
		{name: "a silent seq-kv is retried while adds wait, then every kv-timeout", steps: []step{
			add(1, "cas counter/n0 +0-0@0→+1-0@7"),
			at(1049),
			at(1050, "cas counter/n0 +0-0@0→+1-0@7"),
			at(2050), // the add gave up at 2000
			at(3050, "cas counter/n0 +0-0@0→+1-0@7"),
			durable(false, "unanswered"),
			ok("cas counter/n0 +0-0@0→+1-0@7"),
			durable(true),
		}},
		{name: "a seq-kv without create_if_not_exists fails definitely", steps: []step{
			add(3, "cas counter/n0 +0-0@0→+3-0@7"),
			fail("cas", node.NewError(node.CodeKeyDoesNotExist, "not found")),
			durable(false, "create_if_not_exists"),
			at(50, "cas counter/n0 +0-0@0→+3-0@7"),
		}},
		{name: "any other error leaves the outcome unknown", steps: []step{
			add(3, "cas counter/n0 +0-0@0→+3-0@7"),
			fail("cas", node.NewError(node.CodeCrash, "boom")),
			add(1),
			at(50, "cas counter/n0 +0-0@0→+4-0@7"),
			ok("cas"),
			durable(true),
		}},
		{name: "a failed read after a failed cas is retried", steps: []step{
			add(3, "cas counter/n0 +0-0@0→+3-0@7"),
			fail("cas", precondition, "read counter/n0"),
			at(1000),
			at(1050, "cas counter/n0 +0-0@0→+3-0@7"),
			fail("cas", precondition, "read counter/n0"),
			okRead("read counter/n0", rec(3, 0, testLife)), // everything landed: nothing to send
			durable(true),
		}},
	})
}

func TestAddRefusesOverflow(t *testing.T) {
	cfg, _ := config()
	c, err := NewCore(cfg, "n0", nil, testLife)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []int64{maxHalf, -maxHalf} {
		if _, _, err := c.Add(d, t0); err != nil {
			t.Fatalf("add(%d): %v", d, err)
		}
	}
	for _, d := range []int64{1, -1, 1 << 62, -1 << 63} {
		if _, reqs, err := c.Add(d, t0); err == nil || reqs != nil {
			t.Errorf("add(%d) past the bound: err %v, sent %v", d, err, reqs)
		}
	}
	if c.mine != (Total{P: maxHalf, N: maxHalf}) {
		t.Errorf("refused adds changed the total: %v", c.mine)
	}
}
