package simtest_test

import (
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/simtest"
	"github.com/glomers/glomers/workloads/echo"
)

func TestRunResolvesSpec(t *testing.T) {
	rep := simtest.Run(t, sim.Config{Workload: "echo", NodeCount: 1, TimeLimit: 10 * time.Second, Setup: echo.Setup})
	if !rep.Valid || rep.Ops.OK == 0 || rep.VirtualSeconds < 20 {
		t.Fatalf("want a valid echo run of 10 s load and 10 s quiet: %s", rep.Summary())
	}
}
