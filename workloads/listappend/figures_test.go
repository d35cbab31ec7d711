package listappend

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
)

// TestFigures runs the configurations at full length and logs their
// reports; it runs only with LISTAPPEND_FIGURES=1 (it takes a while).
func TestFigures(t *testing.T) {
	if os.Getenv("LISTAPPEND_FIGURES") == "" {
		t.Skip("set LISTAPPEND_FIGURES=1 to measure")
	}
	for _, tc := range figureConfigs {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			if a := os.Getenv("LISTAPPEND_ARGS"); a != "" {
				_ = json.Unmarshal([]byte(a), &cfg.NodeArgs)
			}
			rep := runSim(t, cfg)
			b, _ := json.Marshal(struct {
				Net  sim.NetStats
				Lat  map[string]map[string]float64
				Ops  sim.OpCounts
				Av   float64
				Anom []sim.Anomaly
			}{rep.Net, rep.OpLatenciesMS, rep.Ops, rep.Availability, rep.Anomalies})
			t.Logf("%s valid=%v %s", tc.name, rep.Valid, b)
		})
	}
}

var figureConfigs = []struct {
	name string
	cfg  sim.Config
}{
	{"tutorial", sim.Config{NodeCount: 2, TimeLimit: 10 * time.Second, Rate: 100}},
	{"partition", sim.Config{NodeCount: 3, Concurrency: 6, TimeLimit: 30 * time.Second, Rate: 100, Nemesis: []string{"partition"}}},
	{"load", sim.Config{NodeCount: 2, Concurrency: 20, TimeLimit: 20 * time.Second, Rate: 1000}},
	{"latency50-5nodes", sim.Config{NodeCount: 5, TimeLimit: 20 * time.Second, Rate: 100, Latency: 50 * time.Millisecond, Nemesis: []string{"partition"}}},
}
