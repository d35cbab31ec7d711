package sim

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/rs/zerolog"
)

// stopTimeout bounds how long a node may take to stop once its input ends.
const stopTimeout = 10 * time.Second

// serverNode is a running server node.
type serverNode interface {
	// stop ends the node's input and waits for it to finish.
	stop() error
}

// stopAll stops the servers in parallel and returns their errors.
func stopAll(servers []serverNode) []error {
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() { errs[i] = s.stop() })
	}
	wg.Wait()
	return slices.DeleteFunc(errs, func(err error) bool { return err == nil })
}

// startServer starts server id on its inbox and outbox, in-process or as
// a process of cfg.Bin.
func startServer(ctx context.Context, cfg Config, id string, in *inbox, out *outbox) (serverNode, error) {
	logw, err := openLog(cfg.LogDir, id)
	if err != nil {
		return nil, err
	}
	if cfg.Bin != "" {
		return startProcess(cfg, id, in, out, logw)
	}
	logger := zerolog.Nop()
	if logw != nil {
		logger = zerolog.New(logw).Level(logLevel()).With().Timestamp().Str("node", id).Logger()
	}
	n := node.New(node.WithIO(in, out), node.WithLogger(logger))
	if err := cfg.Setup(n, cfg.NodeArgs); err != nil {
		closeLog(logw)
		return nil, fmt.Errorf("set up node %s: %w", id, err)
	}
	s := &inProcess{id: id, in: in, log: logw, done: make(chan error, 1)}
	go func() { s.done <- n.Run(ctx) }()
	return s, nil
}

// inProcess is a node.Node running on a goroutine.
type inProcess struct {
	id   string
	in   *inbox
	log  io.WriteCloser
	done chan error
}

func (s *inProcess) stop() error {
	s.in.close()
	t := time.NewTimer(stopTimeout)
	defer t.Stop()
	select {
	case err := <-s.done:
		closeLog(s.log)
		if err != nil {
			return fmt.Errorf("node %s: %w", s.id, err)
		}
		return nil
	case <-t.C:
		return fmt.Errorf("node %s did not stop within %v of its input's end (a handler that never returns?)", s.id, stopTimeout)
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

func startProcess(cfg Config, id string, in *inbox, out *outbox, logw io.WriteCloser) (*process, error) {
	cmd := exec.Command(cfg.Bin, cfg.NodeArgs...)
	if logw != nil {
		cmd.Stderr = logw
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
			out.bad(fmt.Sprintf("%s exited during the run: %v", id, err))
		}
		p.exited <- err
	}()
	return p, nil
}

func (p *process) stop() error {
	p.stopping.Store(true)
	p.in.close()
	t := time.NewTimer(stopTimeout)
	defer t.Stop()
	select {
	case err := <-p.exited:
		if err != nil {
			return fmt.Errorf("node %s: %w", p.id, err)
		}
		return nil
	case <-t.C:
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("node %s did not exit within %v of its stdin's end; killed", p.id, stopTimeout)
	}
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

// logLevel is the level named by node.LogEnv, warn by default.
func logLevel() zerolog.Level {
	if l, err := zerolog.ParseLevel(strings.TrimSpace(os.Getenv(node.LogEnv))); err == nil && l != zerolog.NoLevel {
		return l
	}
	return zerolog.WarnLevel
}
