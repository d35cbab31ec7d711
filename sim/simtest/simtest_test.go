package simtest_test

import (
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/simtest"
	"github.com/glomers/glomers/workloads/echo"
)

func TestRunResolvesSpec(t *testing.T) {
	rep := simtest.Run(t, sim.Config{Workload: "echo", NodeCount: 1, TimeLimit: 10 * time.Second, Program: echo.Program})
	// Echo has no final reads, so the run is its 10 s of load (which ends
	// when the next op would fall past the time limit).
	if !rep.Valid || rep.Ops.OK == 0 || rep.VirtualSeconds < 9 || rep.VirtualSeconds > 10 || rep.WallSeconds <= 0 {
		t.Fatalf("want a valid echo run of 10 s load and no quiet, with its wall time: %s", rep.Summary())
	}
}
