package spec

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/gen"
)

// op builds one operation: :f, the invocation's value, the completion's
// value (out), the outcome; times are in milliseconds.
func op(p int, f string, value, out any, st sim.Status, invoke, complete int) sim.Op {
	return sim.Op{
		Process: p, Node: "n0", F: f, Value: value, Out: out, Status: st,
		Invoke: time.Duration(invoke) * time.Millisecond, Complete: time.Duration(complete) * time.Millisecond,
	}
}

// final marks an operation as one of the final requests.
func final(o sim.Op) sim.Op {
	o.Final = true
	return o
}

// history numbers ops as the interpreter does: Index in invocation order,
// and event numbers in time order (at one instant, completions first).
func history(ops ...sim.Op) sim.History {
	h := slices.Clone(sim.History(ops))
	slices.SortStableFunc(h, func(a, b sim.Op) int { return cmp.Compare(a.Invoke, b.Invoke) })
	type ev struct {
		at       time.Duration
		complete bool
		i        int
	}
	var evs []ev
	for i := range h {
		h[i].Index = i
		evs = append(evs, ev{h[i].Invoke, false, i}, ev{h[i].Complete, true, i})
	}
	slices.SortStableFunc(evs, func(a, b ev) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		if a.complete != b.complete {
			if a.complete {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.i, b.i)
	})
	for n, e := range evs {
		if e.complete {
			h[e.i].CompleteEvent = n
		} else {
			h[e.i].InvokeEvent = n
		}
	}
	return h
}

// wantKinds fails the test unless the result is valid exactly when no
// kinds are wanted, and its anomaly kinds are the wanted ones.
func wantKinds(t *testing.T, r sim.Result, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := r.Kinds(); !slices.Equal(got, want) || r.Valid != (len(want) == 0 && !r.Unknown) {
		t.Fatalf("valid=%v unknown=%v kinds=%v, want kinds %v; anomalies:\n%s", r.Valid, r.Unknown, got, want, dump(r))
	}
}

func dump(r sim.Result) string {
	var b strings.Builder
	for _, a := range r.Anomalies {
		b.WriteString(a.Kind + ": " + a.Detail + "\n")
	}
	for _, a := range r.Strict {
		b.WriteString("strict " + a.Kind + ": " + a.Detail + "\n")
	}
	return b.String()
}

// drawOps runs g on concurrency client threads whose operations all
// complete ok 1 ms after they start, as Jepsen's interpreter would, and
// returns the first n invocations.
func drawOps(t *testing.T, g gen.Gen, concurrency, n int) []gen.Op {
	t.Helper()
	test := &gen.Test{Rand: rand.New(rand.NewPCG(9, 9)), Concurrency: concurrency}
	g = gen.Clients(g)
	ctx := gen.NewContext(concurrency)
	type flight struct {
		at time.Duration
		th int
		op gen.Op
	}
	var inFlight []flight
	var ops []gen.Op
	now := time.Duration(0)
	complete := func() {
		f := inFlight[0]
		inFlight = inFlight[1:]
		now = max(now, f.at)
		f.op.Type, f.op.Time = gen.OK, now
		ctx = ctx.Free(now, f.th)
		g = gen.Update(g, test, ctx, f.op)
	}
	for len(ops) < n {
		ctx.Time = now
		o, g2, ok := gen.Next(g, test, ctx)
		if !ok || o.Type == gen.Pending || (len(inFlight) > 0 && inFlight[0].at < o.Time) {
			if len(inFlight) == 0 {
				if !ok {
					break
				}
				t.Fatalf("generator pending with nothing in flight")
			}
			complete()
			continue
		}
		now = max(now, o.Time)
		th := ctx.Thread(o.Process)
		ctx = ctx.Busy(now, th)
		g = gen.Update(g2, test, ctx, o)
		ops = append(ops, o)
		inFlight = append(inFlight, flight{now + time.Millisecond, th, o})
		slices.SortStableFunc(inFlight, func(a, b flight) int { return cmp.Compare(a.at, b.at) })
	}
	return ops
}
