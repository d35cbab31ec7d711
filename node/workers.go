package node

import (
	"sync"
	"sync/atomic"
)

// maxIdleWorkers bounds how many finished handler goroutines wait for more
// work instead of exiting.
const maxIdleWorkers = 1024

// workers runs each request handler on its own goroutine, as the contract
// promises, but reuses goroutines that have finished one: a new goroutine
// starts with a small stack that JSON decoding grows by copying, and that
// growth was a third of the cost of serving a small request. The pool never
// makes a request wait: when no worker is idle a new one starts, so a
// handler blocked on an RPC cannot hold up another request.
type workers struct {
	jobs chan func() // unbuffered: a send succeeds only into an idle worker
	idle atomic.Int32
	wg   sync.WaitGroup
}

func newWorkers() *workers { return &workers{jobs: make(chan func())} }

// run calls f on an idle worker or a new one. It must not be called after
// close.
func (w *workers) run(f func()) {
	select {
	case w.jobs <- f:
	default:
		w.wg.Add(1)
		go w.loop(f)
	}
}

func (w *workers) loop(f func()) {
	defer w.wg.Done()
	for f != nil {
		f()
		f = w.next()
	}
}

// next waits for another job, unless enough workers are idle already.
func (w *workers) next() func() {
	if w.idle.Add(1) > maxIdleWorkers {
		w.idle.Add(-1)
		return nil
	}
	f := <-w.jobs // nil once closed
	w.idle.Add(-1)
	return f
}

// close ends the idle workers once the running ones finish.
func (w *workers) close() {
	close(w.jobs)
	w.wg.Wait()
}
