package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/spec"
	"github.com/glomers/glomers/sim/store"
)

// defaultStore is the run store's root unless --store or --no-store says
// otherwise: store, in the current directory as Maelstrom's, when
// scripts/sim runs the command; none when Go tests call Main.
func defaultStore() string {
	if os.Getenv(EnvCLI) != "" {
		return "store"
	}
	return ""
}

// openStore creates the run's directory under root (nil for no root) and
// points cfg at it: the journal, the history, and the node logs unless --log-dir put
// them elsewhere (the spec is made again, since lin-kv's checker writes
// its pictures beside the logs).
func openStore(cfg *sim.Config, root string) (*store.Run, error) {
	if root == "" {
		return nil, nil
	}
	st, err := store.Create(root, cfg.Workload, time.Now())
	if err != nil {
		return nil, err
	}
	cfg.Journal, cfg.Record = st.Journal, st.Record
	if cfg.LogDir == "" {
		cfg.LogDir = st.NodeLogDir()
		if cfg.Spec, err = spec.New(cfg.Workload, cfg.WithDefaults()); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// runStored runs cfg and writes it to a run store under root (none when
// root is empty), with a progress line on stderr when progress is set.
// The error of a run that could not happen names its store.
func runStored(cfg sim.Config, root string, progress bool, virtual func(func()), stderr io.Writer) (*sim.Report, error) {
	st, err := openStore(&cfg, root)
	if err != nil {
		return nil, err
	}
	stop := func() {}
	if progress {
		stop = showProgress(&cfg, stderr)
	}
	rep, err := runConfig(cfg, virtual)
	stop()
	if err != nil {
		return nil, failStore(st, cfg, err, stderr)
	}
	finishStore(st, cfg, rep, stderr)
	return rep, nil
}

// failStore records in the store a run that could not happen, and returns
// its error, with the store's path.
func failStore(st *store.Run, cfg sim.Config, err error, stderr io.Writer) error {
	if st == nil {
		return err
	}
	if ferr := st.Fail(cfg, err); ferr != nil {
		fmt.Fprintf(stderr, "sim: %v\n", ferr)
	}
	return fmt.Errorf("%w (store %s)", err, st.Dir)
}

// finishStore writes a finished run to its store, with its plots of
// latency and rate (store.Plots), and names it in rep.
func finishStore(st *store.Run, cfg sim.Config, rep *sim.Report, stderr io.Writer) {
	if st == nil {
		return
	}
	rep.Store = st.Dir
	if err := st.Finish(cfg, rep); err != nil {
		fmt.Fprintf(stderr, "sim: %v\n", err)
	}
	if err := st.WritePlots(rep); err != nil {
		fmt.Fprintf(stderr, "sim: %v\n", err)
	}
}
