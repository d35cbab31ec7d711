package sim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/glomers/glomers/node"
)

// Config is one simulated run, in the terms of `maelstrom test`.
type Config struct {
	Workload        string        // Maelstrom workload name: "echo", "broadcast", ...
	NodeCount       int           // servers n0..n{N-1}; default 5
	TimeLimit       time.Duration // client load; default 60s
	Rate            float64       // client requests per second, in total; default 5
	Concurrency     int           // client processes; default NodeCount
	Latency         time.Duration // mean node↔node and node↔service latency; default 0
	LatencyDist     string        // "constant" (default), "uniform" (0..2×mean), "exponential"
	Nemesis         []string      // "partition" is the only fault
	NemesisInterval time.Duration // default 10s
	Topology        string        // broadcast's suggested topology; default "grid"
	Availability    string        // "", "total", or a fraction such as "0.99"
	Consistency     []string      // txn workloads: "read-uncommitted", "read-committed", ...
	KeyCount        int           // generator knob (kafka, txn); 0 for the workload's default
	MaxTxnLength    int           // txn generator knob; default 4
	MaxWritesPerKey int           // txn generator knob; default 16
	Seed            int64         // drives every random choice of the run

	// Strict makes the simulator's own checks, stricter than Maelstrom's
	// (Result.Strict), count against the verdict.
	Strict bool

	// The nodes: in-process nodes of Program (the default), or processes
	// of Bin when it is set. NodeArgs go to either (what follows `--`).
	Program  node.Program
	Bin      string
	NodeArgs []string

	// Spec is the workload as the simulator sees it; Run needs it set.
	// Package sim cannot pick it (package sim/spec imports sim): the
	// callers sim/simtest and sim/cli resolve a nil Spec with
	// spec.New(Workload, cfg.WithDefaults()). Tests of broken checkers or of
	// the simulator itself set their own.
	Spec Spec

	Quiet         time.Duration // after the heal, before final requests (none: no wait); default 10s, negative for none
	ClientTimeout time.Duration // a client gives up on a request after this; default 5s

	// Progress, when set, is kept up to date during the run (virtual
	// time, operations, messages), for a caller outside the run to show.
	Progress *Progress

	// LogDir, when set, receives each node's log as <id>.log: the zerolog
	// output of in-process nodes (level from GLOMERS_LOG, warn by default)
	// or the stderr of processes. Empty discards node logs.
	LogDir string

	// Journal, when set, is told of every message the network counts (those
	// in Report.Net.All), on the loop's goroutine, once its fate is known:
	// delivered, dropped by a partition, or still in flight when the run
	// ended. It must not block; a run store (package sim/store) streams the
	// messages to disk. Nil journals nothing.
	Journal func(JournalEntry)

	// Record, when set, is told of every event of the history as it
	// happens, on the loop's goroutine, in history order: each client
	// operation's invocation and completion (with its completion value,
	// which the run does not keep) and each nemesis action. It must not
	// block; a run store streams the history to disk. Nil records nothing.
	Record func(HistoryEvent)
}

// HistoryEvent is one event of a run's history, as Config.Record gets it:
// a client operation's invocation or completion, or a nemesis action.
type HistoryEvent struct {
	Op        Op            // the operation, as far as it has happened (Nemesis nil)
	Completed bool          // whether this is Op's completion
	Nemesis   *NemesisEvent // a nemesis action; Op is then empty
}

// JournalEntry is one message of a run, as Config.Journal gets it. Times
// are virtual, since the run began.
type JournalEntry struct {
	Src, Dest string
	Type      string          // the body's type
	MsgID     int64           // 0 when absent
	InReplyTo int64           // 0 when absent
	Body      json.RawMessage // nil when the line does not parse
	Sent      time.Duration
	Delivered time.Duration // when it arrived or was dropped; -1 when still in flight at the end
	Dropped   bool          // lost to a partition
}

// Progress is how far a run has got; it may be read from any goroutine
// while the run updates it.
type Progress struct {
	virtual, ops, msgs atomic.Int64
}

// Snapshot returns the virtual time since the run began, the client
// operations invoked and the messages sent so far.
func (p *Progress) Snapshot() (virtual time.Duration, ops, msgs int) {
	return time.Duration(p.virtual.Load()), int(p.ops.Load()), int(p.msgs.Load())
}

// WithDefaults returns c with every zero field that has a default set to
// it, as documented on Config. Run applies it itself; callers use it to see
// the run's real parameters (a Spec built from it, a summary).
func (c Config) WithDefaults() Config {
	if c.NodeCount <= 0 {
		c.NodeCount = 5
	}
	if c.TimeLimit <= 0 {
		c.TimeLimit = 60 * time.Second
	}
	if c.Rate <= 0 {
		c.Rate = 5
	}
	if c.Concurrency <= 0 {
		c.Concurrency = c.NodeCount
	}
	if c.LatencyDist == "" {
		c.LatencyDist = "constant"
	}
	if c.NemesisInterval <= 0 {
		c.NemesisInterval = 10 * time.Second
	}
	if c.Topology == "" {
		c.Topology = "grid"
	}
	if c.MaxTxnLength <= 0 {
		c.MaxTxnLength = 4
	}
	if c.MaxWritesPerKey <= 0 {
		c.MaxWritesPerKey = 16
	}
	if c.Quiet == 0 {
		c.Quiet = 10 * time.Second
	}
	if c.ClientTimeout <= 0 {
		c.ClientTimeout = 5 * time.Second
	}
	return c
}

// Validate reports what is wrong with a configuration (with its defaults
// applied) before a run: what Run would refuse.
func (c Config) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.Spec == nil:
		return fmt.Errorf("config: no Spec for workload %q (resolve it with spec.New)", c.Workload)
	case c.Program.New == nil && c.Bin == "":
		return fmt.Errorf("config: neither Program nor Bin is set for workload %q", c.Workload)
	case c.Latency < 0:
		return fmt.Errorf("config: negative latency %v", c.Latency)
	}
	if _, err := newLatency(c.LatencyDist, c.Latency); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	for _, f := range c.Nemesis {
		if f != "partition" {
			return fmt.Errorf("config: unknown nemesis %q (only \"partition\")", f)
		}
	}
	if _, _, err := c.availability(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// partitions reports whether the partition nemesis is on.
func (c Config) partitions() bool { return slices.Contains(c.Nemesis, "partition") }

// availability parses Availability: whether it is checked, and the least
// fraction of operations that must succeed (1 for "total").
func (c Config) availability() (checked bool, min float64, err error) {
	switch c.Availability {
	case "":
		return false, 0, nil
	case "total":
		return true, 1, nil
	}
	f, err := strconv.ParseFloat(c.Availability, 64)
	if err != nil || f < 0 || f > 1 {
		return false, 0, fmt.Errorf("availability %q is neither \"total\" nor a fraction in [0, 1]", c.Availability)
	}
	return true, f, nil
}

// Report is the outcome of a run: the verdict and Maelstrom's statistics.
// Availability is Maelstrom's: ok ÷ invoked over every client operation.
// Its JSON form is what `scripts/sim --json` prints.
type Report struct {
	Workload     string             `json:"workload"`
	Valid        bool               `json:"valid"`
	Unknown      bool               `json:"unknown,omitempty"` // the checker could not decide (Valid is false)
	Seed         int64              `json:"seed,string"`
	Ops          OpCounts           `json:"ops"`
	ByF          map[string]FCounts `json:"by_f"` // per :f, with the errors seen
	Availability float64            `json:"availability"`
	// AvailabilityByReach splits the operations by whether their node
	// could reach a majority both ways when they were invoked: "majority"
	// and "minority".
	AvailabilityByReach map[string]ReachCounts        `json:"availability_by_reach"`
	Net                 NetStats                      `json:"net"`
	StableLatenciesMS   map[string]float64            `json:"stable_latencies_ms"`
	OpLatenciesMS       map[string]map[string]float64 `json:"op_latencies_ms"` // per request type: quantiles "0.5", "0.99", "1" of ok ops
	OKLatenciesMS       map[string]float64            `json:"ok_latencies_ms"` // the same over every ok op; nil when there is none
	Anomalies           []Anomaly                     `json:"anomalies"`
	Strict              []Anomaly                     `json:"strict,omitempty"` // the simulator's stricter checks; in the verdict only with Config.Strict
	Stats               map[string]any                `json:"stats,omitempty"`
	Nemesis             []NemesisEvent                `json:"nemesis"` // partitions started and healed, in order
	VirtualSeconds      float64                       `json:"virtual_seconds"`

	// Warnings are what went wrong without making the run invalid,
	// because Maelstrom would not notice: nodes that did not stop cleanly
	// at the end (Maelstrom kills them). An in-process node whose handler
	// never returns is reported here and its goroutines are leaked.
	Warnings []string `json:"warnings,omitempty"`

	// WallSeconds is the real time the run took, as RunIn measures it
	// from outside the bubble. Run alone, inside a bubble, sees only
	// virtual time, so it sets it to VirtualSeconds.
	WallSeconds float64 `json:"wall_seconds"`

	// Store is the directory of the run in a run store (scripts/sim's
	// store/<workload>/<time>), when it was written to one.
	Store string `json:"store,omitempty"`

	// History is the run's client operations, in invocation order,
	// without their completion values: the checker saw each as it came,
	// and Config.Record (the run store's history files) has them all.
	History History `json:"-"`
}

// FCounts counts one :f's operations by outcome, with how often each error
// ended one (at most maxErrorKinds distinct texts; the rest under "other").
type FCounts struct {
	OK     int            `json:"ok"`
	Fail   int            `json:"fail"`
	Info   int            `json:"info"`
	Errors map[string]int `json:"errors,omitempty"`
}

// ReachCounts counts the operations invoked at nodes of one reach: how
// many, how many succeeded, and how many were unavailable (timed out or
// answered 11, temporarily unavailable).
type ReachCounts struct {
	Invoked     int `json:"invoked"`
	OK          int `json:"ok"`
	Unavailable int `json:"unavailable"`
}

// OpCounts counts client operations by outcome (final reads included).
type OpCounts struct {
	Invoked int `json:"invoked"`
	OK      int `json:"ok"`
	Fail    int `json:"fail"`
	Info    int `json:"info"`
}

// NetStats are Maelstrom's message counts: all messages, those with a client
// at either end, and the rest (node↔node and node↔service).
type NetStats struct {
	All     MsgCount `json:"all"`
	Clients MsgCount `json:"clients"`
	Servers MsgCount `json:"servers"`

	// Dropped counts messages lost to a partition (counted as sent above,
	// like Maelstrom's journal). Unroutable counts messages to no such
	// endpoint: Maelstrom refuses them unjournaled, so they are not counted
	// above, and they make the run invalid.
	Dropped    int `json:"dropped"`
	Unroutable int `json:"unroutable"`
}

// NemesisEvent is one action of the partition nemesis.
type NemesisEvent struct {
	At     float64 `json:"at_s"`   // seconds since the run began
	Action string  `json:"action"` // "partition" or "heal"
	Shape  string  `json:"shape,omitempty"`
	// Grudge maps each node to the nodes it drops messages from; empty
	// when the shape cuts nothing (Jepsen's minority third of three nodes,
	// any shape of one node).
	Grudge map[string][]string `json:"grudge,omitempty"`
}

// MsgCount is a number of messages and that number per client operation.
type MsgCount struct {
	Msgs      int     `json:"msgs"`
	MsgsPerOp float64 `json:"msgs_per_op"`
}
