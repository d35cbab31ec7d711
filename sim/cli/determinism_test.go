package cli

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/glomers/glomers/workloads"
)

// TestSameSeedSameReport runs every workload twice in-process from the
// same configuration and seed, under each latency distribution and with
// partitions, and wants byte-identical JSON reports (wall time aside):
// runs are reproducible whatever order the Go scheduler runs goroutines in.
func TestSameSeedSameReport(t *testing.T) {
	for _, w := range workloads.Names() {
		for _, dist := range []string{"constant", "uniform", "exponential"} {
			t.Run(w+"/"+dist, func(t *testing.T) {
				args := []string{"-w", w, "--node-count", "3", "--concurrency", "2n", "--time-limit", "4", "--rate", "100",
					"--latency", "20", "--latency-dist", dist, "--nemesis", "partition", "--nemesis-interval", "1", "--seed", "42"}
				var reports [2][]byte
				for k := range reports {
					cfg, _, err := parse(args, &bytes.Buffer{})
					if err != nil {
						t.Fatal(err)
					}
					rep, err := runConfig(cfg, bubble(t))
					if err != nil {
						t.Fatal(err)
					}
					rep.WallSeconds = 0
					if reports[k], err = json.Marshal(rep); err != nil {
						t.Fatal(err)
					}
				}
				if !bytes.Equal(reports[0], reports[1]) {
					t.Errorf("same seed, different reports:\n%s\n%s", reports[0], reports[1])
				}
			})
		}
	}
}
