package sim

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/rs/zerolog"
)

// Stopping a node: its input ends; an in-process node then gets stopGrace
// to finish before its context is cancelled too, and stopTimeout more; a
// process gets stopTimeout to exit before it is killed. Maelstrom kills its
// nodes at the end of a test without asking, so none of this makes a run
// invalid: it only warns.
const (
	stopGrace   = time.Second
	stopTimeout = 10 * time.Second
)

// serverNode is a running server node.
type serverNode interface {
	// stop ends the node and waits for it. It returns what went wrong (nil
	// for a clean stop) and whether the node is left running: an
	// in-process node whose handler never returns cannot be killed.
	stop() (problem error, leaked bool)
}

// stopped is the outcome of stopping the servers.
type stopped struct {
	problems []string // one per node that did not stop cleanly
	leaked   int      // in-process nodes left running
}

// stopAll stops the servers in parallel.
func stopAll(servers []serverNode) stopped {
	type result struct {
		err    error
		leaked bool
	}
	res := make([]result, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() { res[i].err, res[i].leaked = s.stop() })
	}
	wg.Wait()
	var out stopped
	for _, r := range res {
		if r.err != nil {
			out.problems = append(out.problems, r.err.Error())
		}
		if r.leaked {
			out.leaked++
		}
	}
	return out
}

// startServer starts server id on its inbox and outbox, in-process (its
// random source seeded with seed) or as a process of cfg.Bin; died is
// called if a process exits before it is stopped.
func startServer(ctx context.Context, cfg Config, id string, seed uint64, in *inbox, out *outbox, died func()) (serverNode, error) {
	logw, err := openLog(cfg.LogDir, id)
	if err != nil {
		return nil, err
	}
	if cfg.Bin != "" {
		return startProcess(cfg, id, in, out, logw, died)
	}
	logger := zerolog.Nop()
	if logw != nil {
		logger = zerolog.New(logw).Level(node.LogLevel()).With().Timestamp().Str("node", id).Logger()
	}
	build, err := cfg.Program.Builder(cfg.NodeArgs)
	if err != nil {
		closeLog(logw)
		return nil, fmt.Errorf("node %s: %w", id, err)
	}
	n := node.New(build, node.WithIO(in, out), node.WithLogger(logger), node.WithSeed(seed))
	ctx, cancel := context.WithCancel(ctx)
	s := &inProcess{id: id, in: in, log: logw, cancel: cancel, done: make(chan error, 1)}
	go func() {
		err := n.Run(ctx)
		closeLog(logw)
		s.done <- err
	}()
	return s, nil
}

// inProcess is a node.Node running on a goroutine.
type inProcess struct {
	id     string
	in     *inbox
	log    io.WriteCloser
	cancel context.CancelFunc // the node's own context
	done   chan error         // Run's result
}

func (s *inProcess) stop() (error, bool) {
	s.in.close()
	err, ok := waitFor(s.done, stopGrace)
	if !ok {
		// Handlers still running: cancel their context, as a killed
		// process would stop them.
		s.cancel()
		err, ok = waitFor(s.done, stopTimeout)
	}
	s.cancel()
	switch {
	case !ok:
		return fmt.Errorf("node %s did not stop within %v of the end of its input and of its context: a handler never returns; its goroutines are left blocked", s.id, stopGrace+stopTimeout), true
	case err != nil:
		return fmt.Errorf("node %s: %w", s.id, err), false
	}
	return nil, false
}

// waitFor waits up to d for a value on ch; ok is false if none came.
func waitFor(ch <-chan error, d time.Duration) (err error, ok bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-ch:
		return err, true
	case <-t.C:
		return nil, false
	}
}

// process is a node binary run with its stdin and stdout on the network.
type process struct {
	id       string
	cmd      *exec.Cmd
	in       *inbox
	stopping atomic.Bool
	exited   chan error // the result of Wait, once stdout has ended
}

// stderrTail is how much of a process's stderr a report of its death quotes.
const stderrTail = 2048

// tail keeps the last bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - stderrTail; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}

// startProcess starts a node process of cfg.Bin. If it exits before it is
// stopped, the death is reported (with the end of its stderr) and died is
// called.
func startProcess(cfg Config, id string, in *inbox, out *outbox, logw io.WriteCloser, died func()) (*process, error) {
	cmd := exec.Command(cfg.Bin, cfg.NodeArgs...)
	errTail := &tail{}
	cmd.Stderr = errTail
	if logw != nil {
		cmd.Stderr = io.MultiWriter(logw, errTail)
	}
	stdin, err := cmd.StdinPipe()
	var stdout io.ReadCloser
	if err == nil {
		stdout, err = cmd.StdoutPipe()
	}
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		closeLog(logw)
		return nil, fmt.Errorf("start node %s: %w", id, err)
	}
	p := &process{id: id, cmd: cmd, in: in, exited: make(chan error, 1)}
	go func() {
		_, _ = io.Copy(stdin, in) // fails only when the process is gone
		_ = stdin.Close()
	}()
	go func() {
		_, _ = io.Copy(out, stdout)
		out.flush()
		err := cmd.Wait()
		closeLog(logw)
		if !p.stopping.Load() {
			msg := fmt.Sprintf("%s exited during the run: %v", id, exitStatus(err))
			if t := errTail.String(); t != "" {
				msg += fmt.Sprintf("; its stderr ended with: %q", t)
			}
			out.bad(msg)
			// Nothing reads the input any more: let the stdin copier end.
			in.close()
			err = nil // reported already
			died()
		}
		p.exited <- err
	}()
	return p, nil
}

func (p *process) stop() (error, bool) {
	p.stopping.Store(true)
	p.in.close()
	err, ok := waitFor(p.exited, stopTimeout)
	if !ok {
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("node %s did not exit within %v of the end of its stdin; killed", p.id, stopTimeout), false
	}
	if err != nil {
		return fmt.Errorf("node %s, once its stdin ended: %v", p.id, exitStatus(err)), false
	}
	return nil, false
}

// exitStatus describes how a process ended (Wait's error; nil: status 0).
func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// openLog creates dir/id.log, or returns nil when dir is empty.
func openLog(dir, id string) (io.WriteCloser, error) {
	if dir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("node log: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, id+".log"))
	if err != nil {
		return nil, fmt.Errorf("node log: %w", err)
	}
	return f, nil
}

func closeLog(w io.WriteCloser) {
	if w != nil {
		_ = w.Close()
	}
}
