package gen

import (
	"math/bits"
	"math/rand/v2"
	"time"
)

// Type is an operation's type, as in Jepsen's history.
type Type int8

// Operation types. Pending is not an operation: Op returns it when no
// operation can be issued yet.
const (
	Invoke  Type = iota // a request about to be made
	OK                  // completed: it happened
	Fail                // completed: it certainly did not happen
	Info                // completed: it may or may not have happened (also the nemesis's type)
	Sleep               // the thread does nothing for Value (a time.Duration)
	Log                 // the interpreter logs Value and goes on
	Pending             // no operation yet: ask again after the next event or a moment
)

// String implements fmt.Stringer with Jepsen's names.
func (t Type) String() string {
	switch t {
	case Invoke:
		return "invoke"
	case OK:
		return "ok"
	case Fail:
		return "fail"
	case Info:
		return "info"
	case Sleep:
		return "sleep"
	case Log:
		return "log"
	}
	return "pending"
}

// NemesisProcess is the process (and thread name) of the nemesis.
const NemesisProcess = -1

// Op is one operation: an invocation a generator emits, or the completion
// the interpreter reports back through Update.
type Op struct {
	Type    Type
	Process int // client process number, or NemesisProcess
	F       string
	Value   any
	Time    time.Duration // since the start of the run
	Final   bool          // Maelstrom's :final? (the final reads)
	Error   string        // why a completion failed or is indeterminate
	Code    int           // the error code of an error reply, if that is why
	// Ext holds any other field a workload's generator or client uses
	// (kafka's :seek-to-beginning?, :keys); nil when there are none.
	Ext map[string]any
}

// Test is what every generator may consult: the run's random source and
// its fixed parameters. Generators are only ever used by one goroutine.
type Test struct {
	Rand        *rand.Rand
	Concurrency int      // client threads
	Nodes       []string // server node ids
}

// bitset is a small immutable set of thread numbers; methods that change it
// return a copy.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) has(i int) bool { return i >= 0 && i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0 }

func (b bitset) with(i int, on bool) bitset {
	c := make(bitset, len(b))
	copy(c, b)
	if on {
		c[i/64] |= 1 << (i % 64)
	} else {
		c[i/64] &^= 1 << (i % 64)
	}
	return c
}

func (b bitset) and(m bitset) bitset {
	c := make(bitset, len(b))
	for i := range c {
		c[i] = b[i] & m[i]
	}
	return c
}

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// next returns the first member at or after i, or -1.
func (b bitset) next(i int) int {
	for w := i / 64; w < len(b); w++ {
		word := b[w]
		if w == i/64 {
			word &^= (1 << (i % 64)) - 1
		}
		if word != 0 {
			return w*64 + bits.TrailingZeros64(word)
		}
	}
	return -1
}

func (b bitset) members() []int {
	var out []int
	for i := b.next(0); i >= 0; i = b.next(i + 1) {
		out = append(out, i)
	}
	return out
}

// Context is what a generator sees when asked for an operation: the time,
// the threads it may use and which of them are free. It is a value; the
// methods that change it return a new one.
type Context struct {
	Time time.Duration

	threads int    // all threads of the run: clients, then the nemesis
	all     bitset // threads visible in this context
	free    bitset // visible threads not busy with an operation
	next    int    // where the search for a free thread starts (rotates)
	procs   []int  // thread → its current process; shared, copied on change
}

// NewContext returns the context at the start of a run of concurrency client
// threads and the nemesis: time zero, every thread free, each client thread
// running the process of its own number.
func NewContext(concurrency int) Context {
	n := concurrency + 1
	c := Context{threads: n, all: newBitset(n), free: newBitset(n), procs: make([]int, n)}
	for t := range n {
		c.all = c.all.with(t, true)
		c.procs[t] = t
	}
	c.free = c.all
	c.procs[concurrency] = NemesisProcess
	return c
}

// NemesisThread is the nemesis's thread number in a context.
func (c Context) NemesisThread() int { return c.threads - 1 }

// IsClient reports whether thread t is a client thread.
func (c Context) IsClient(t int) bool { return t >= 0 && t < c.threads-1 }

// AllThreads lists the threads of this context, in order.
func (c Context) AllThreads() []int { return c.all.members() }

// FreeThreads lists the free threads of this context, in order.
func (c Context) FreeThreads() []int { return c.free.members() }

// AllCount is the number of threads in this context.
func (c Context) AllCount() int { return c.all.count() }

// FreeCount is the number of free threads in this context.
func (c Context) FreeCount() int { return c.free.count() }

// ThreadFree reports whether thread t is in this context and free.
func (c Context) ThreadFree(t int) bool { return c.free.has(t) }

// Process returns the process thread t is running.
func (c Context) Process(t int) int { return c.procs[t] }

// Thread returns the thread running process p.
func (c Context) Thread(p int) int {
	if p == NemesisProcess {
		return c.threads - 1
	}
	return p % (c.threads - 1)
}

// AllProcesses lists the processes of this context's threads.
func (c Context) AllProcesses() []int {
	var ps []int
	for _, t := range c.AllThreads() {
		ps = append(ps, c.procs[t])
	}
	return ps
}

// SomeFreeProcess returns a free process of this context: the first free
// thread at or after the rotating start, wrapping around, as Jepsen picks
// one; ok is false when every thread is busy.
func (c Context) SomeFreeProcess() (p int, ok bool) {
	t := c.free.next(c.next)
	if t < 0 && c.next > 0 {
		t = c.free.next(0)
	}
	if t < 0 {
		return 0, false
	}
	return c.procs[t], true
}

// Restrict returns the context limited to the threads for which keep is
// true (Jepsen's thread filter).
func (c Context) Restrict(keep func(thread int) bool) Context {
	m := newBitset(c.threads)
	for t := range c.threads {
		if keep(t) {
			m[t/64] |= 1 << (t % 64) // m is ours: set in place
		}
	}
	return c.restrict(m)
}

func (c Context) restrict(mask bitset) Context {
	c.all = c.all.and(mask)
	c.free = c.free.and(mask)
	return c
}

// only returns the context limited to thread t.
func (c Context) only(t int) Context {
	return c.restrict(newBitset(c.threads).with(t, true))
}

// Busy returns the context at time now with thread t busy; the search for a
// free thread then starts one further along, so threads take turns.
func (c Context) Busy(now time.Duration, t int) Context {
	c.Time = now
	c.free = c.free.with(t, false)
	c.next = (c.next + 1) % c.threads
	return c
}

// Free returns the context at time now with thread t free.
func (c Context) Free(now time.Duration, t int) Context {
	c.Time = now
	c.free = c.free.with(t, true)
	return c
}

// NextProcess returns the context with client thread t running a fresh
// process (its old one plus the number of client threads), as after a crash.
func (c Context) NextProcess(t int) Context {
	procs := make([]int, len(c.procs))
	copy(procs, c.procs)
	procs[t] += c.threads - 1
	c.procs = procs
	return c
}
