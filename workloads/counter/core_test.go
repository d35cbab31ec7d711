package counter

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// The Core is tested by feeding it events directly: no seq-kv, fake or
// simulated, takes part. A scenario is a list of steps, each an event and
// the requests it must make the core send, rendered as Request.String
// renders them ("cas counter/n0 +0-0@0→+1-0@7"). The test plays seq-kv by
// choosing each reply, including the ones a real seq-kv gives when a reply
// was lost or a request delayed.

// testLife is node n0's life in every scenario; n0's peers are n1 and n2.
const testLife = 7

var t0 = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// driver runs one scenario on n0's core.
type driver struct {
	t      *testing.T
	c      *Core
	now    time.Time
	open   []Request // sent and not replied to, oldest first
	need   Total     // what the last add needs durable
	ticket uint64    // the refresh the last read waits for
}

// step is one event of a scenario, with its checks.
type step func(d *driver)

// scenario is a named list of steps on a core configured by flags args.
type scenario struct {
	name  string
	args  []string
	steps []step
}

func run(t *testing.T, tests []scenario) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config(tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			c, err := NewCore(cfg, "n0", []string{"n1", "n2"}, testLife)
			if err != nil {
				t.Fatal(err)
			}
			d := &driver{t: t, c: c, now: t0}
			for i, s := range tt.steps {
				t.Logf("step %d at %s", i+1, d.now.Sub(t0))
				s(d)
			}
		})
	}
}

// sent checks what an event sent against want and the Wake promise.
func (d *driver) sent(event string, reqs []Request, want []string) {
	d.t.Helper()
	got := make([]string, len(reqs))
	for i, r := range reqs {
		got[i] = r.String()
	}
	if !slices.Equal(got, want) && (len(got) > 0 || len(want) > 0) {
		d.t.Errorf("%s at %s sent %q, want %q", event, d.now.Sub(t0), got, want)
	}
	if w := d.c.Wake(); !w.IsZero() && !w.After(d.now) {
		d.t.Fatalf("after %s at %s, Wake is %s: not later than now", event, d.now.Sub(t0), w.Sub(t0))
	}
	d.open = append(d.open, reqs...)
}

// add adds delta now.
func add(delta int64, want ...string) step {
	return func(d *driver) {
		d.t.Helper()
		need, reqs, err := d.c.Add(delta, d.now)
		if err != nil {
			d.t.Fatalf("add %d: %v", delta, err)
		}
		d.need = need
		d.sent(fmt.Sprintf("add %d", delta), reqs, want)
	}
}

// at moves the clock to ms milliseconds, ticking the core at each Wake on
// the way as the server's loop does; want is everything the ticks sent.
func at(ms int, want ...string) step {
	return func(d *driver) {
		d.t.Helper()
		end := t0.Add(time.Duration(ms) * time.Millisecond)
		var reqs []Request
		for w := d.c.Wake(); !w.IsZero() && !w.After(end); w = d.c.Wake() {
			d.now = w
			reqs = append(reqs, d.c.Tick(w)...)
		}
		d.now = end
		d.sent("ticks", reqs, want)
	}
}

// reply answers the newest open request whose rendering begins with
// prefix, or with first the oldest: a copy the core may have given up on.
func reply(prefix string, first bool, r Reply, want ...string) step {
	return func(d *driver) {
		d.t.Helper()
		i := -1
		for j, q := range d.open {
			if strings.HasPrefix(q.String(), prefix) && (i < 0 || !first) {
				i = j
			}
		}
		if i < 0 {
			d.t.Fatalf("no open request %q among %v", prefix, d.open)
		}
		r.ID = d.open[i].ID
		event := fmt.Sprintf("reply to %v", d.open[i])
		d.open = slices.Delete(d.open, i, i+1)
		d.sent(event, d.c.Reply(r, d.now), want)
	}
}

// ok answers a request with success, okRead a read with v, fail with
// err, and late the oldest copy of a request with success.
func ok(prefix string, want ...string) step { return reply(prefix, false, Reply{}, want...) }
func okRead(prefix string, v Record, want ...string) step {
	return reply(prefix, false, Reply{Value: v}, want...)
}
func fail(prefix string, err error, want ...string) step {
	return reply(prefix, false, Reply{Err: err}, want...)
}
func late(prefix string, want ...string) step { return reply(prefix, true, Reply{}, want...) }

// durable checks whether the last add is durable, and that the last flush
// error, if want is false and errText is set, mentions errText.
func durable(want bool, errText ...string) step {
	return func(d *driver) {
		d.t.Helper()
		got, err := d.c.Durable(d.need)
		if got != want {
			d.t.Errorf("Durable(%v) = %v, want %v (last flush: %v)", d.need, got, want, err)
		}
		for _, s := range errText {
			if err == nil || !strings.Contains(err.Error(), s) {
				d.t.Errorf("last flush error %v, want one mentioning %q", err, s)
			}
		}
	}
}

// read starts a read now.
func read(want ...string) step {
	return func(d *driver) {
		d.t.Helper()
		var reqs []Request
		d.ticket, reqs = d.c.Read(d.now)
		d.sent("read", reqs, want)
	}
}

// served checks that the last read is answered with v.
func served(v int64) step {
	return func(d *driver) {
		d.t.Helper()
		got, done, err := d.c.Refreshed(d.ticket)
		if !done || err != nil || got != v {
			d.t.Errorf("read: value %d, done %v, err %v; want %d", got, done, err, v)
		}
	}
}

// waiting checks that the last read still waits for its refresh.
func waiting(d *driver) {
	d.t.Helper()
	if v, done, err := d.c.Refreshed(d.ticket); done {
		d.t.Errorf("read done (value %d, err %v), want it waiting", v, err)
	}
}

// failed checks that the last read's refresh failed.
func failed(d *driver) {
	d.t.Helper()
	if v, done, err := d.c.Refreshed(d.ticket); !done || err == nil {
		d.t.Errorf("read: value %d, done %v, err %v; want it failed", v, done, err)
	}
}

// value checks the value the core knows of.
func value(v int64) step {
	return func(d *driver) {
		d.t.Helper()
		if got := d.c.Value(); got != v {
			d.t.Errorf("Value() = %d, want %d", got, v)
		}
	}
}

func rec(p, n, life int64) Record { return Record{Total: Total{P: p, N: n}, Life: life} }

func TestCoreIgnoresUnknownReplies(t *testing.T) {
	cfg, _ := config()
	c, err := NewCore(cfg, "n0", nil, testLife)
	if err != nil {
		t.Fatal(err)
	}
	if reqs := c.Reply(Reply{ID: 42, Value: rec(5, 0, 1)}, t0); len(reqs) != 0 || c.Value() != 0 {
		t.Errorf("reply to no request: sent %v, value %d", reqs, c.Value())
	}
}

func TestNewCoreRejects(t *testing.T) {
	cfg, _ := config()
	for _, tt := range []struct {
		name string
		cfg  Config
		life int64
	}{
		{"life 0", cfg, 0},
		{"bad config", Config{}, testLife},
	} {
		if _, err := NewCore(tt.cfg, "n0", nil, tt.life); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}
