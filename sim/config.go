package sim

import (
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

	// The nodes: in-process from Setup (the default), or processes of Bin
	// when it is set. NodeArgs go to either (what follows `--`).
	Setup    node.SetupFunc
	Bin      string
	NodeArgs []string

	// Spec overrides the workload's default spec (tests of broken
	// checkers); nil picks spec.New(Workload, cfg).
	Spec Spec

	Quiet         time.Duration // after the heal, before final reads; default 10s
	ClientTimeout time.Duration // a client gives up on a request after this; default 5s
}

// Report is the outcome of a run: the verdict and Maelstrom's statistics.
// Its JSON form is what `scripts/sim --json` prints.
type Report struct {
	Workload          string                        `json:"workload"`
	Valid             bool                          `json:"valid"`
	Seed              int64                         `json:"seed"`
	Ops               OpCounts                      `json:"ops"`
	Availability      float64                       `json:"availability"`
	Net               NetStats                      `json:"net"`
	StableLatenciesMS map[string]float64            `json:"stable_latencies_ms"`
	OpLatenciesMS     map[string]map[string]float64 `json:"op_latencies_ms"` // per request type: quantiles "0.5", "0.99", "1" of ok ops
	Anomalies         []Anomaly                     `json:"anomalies"`
	Stats             map[string]any                `json:"stats,omitempty"`
	VirtualSeconds    float64                       `json:"virtual_seconds"`
	WallSeconds       float64                       `json:"wall_seconds"`

	History History `json:"-"`
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
}

// MsgCount is a number of messages and that number per client operation.
type MsgCount struct {
	Msgs      int     `json:"msgs"`
	MsgsPerOp float64 `json:"msgs_per_op"`
}
