package spec

import (
	"slices"
	"strings"
	"testing"

	"github.com/glomers/glomers/sim"
)

func TestNewKnowsEveryWorkload(t *testing.T) {
	want := []string{"broadcast", "echo", "g-counter", "g-set", "kafka", "lin-kv", "pn-counter", "txn-list-append", "txn-rw-register", "unique-ids"}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, name := range want {
		s, err := New(name, sim.Config{Workload: name, NodeCount: 3, Concurrency: 6})
		if err != nil || s == nil {
			t.Errorf("New(%q) = %v, %v", name, s, err)
		}
	}
}

func TestNewRejectsUnknownNames(t *testing.T) {
	_, err := New("lin-kv-nope", sim.Config{})
	if err == nil || !strings.Contains(err.Error(), "broadcast, echo") {
		t.Fatalf("New(unknown) error = %v, want one listing the known workloads", err)
	}
	if _, err := New("broadcast", sim.Config{Topology: "star"}); err == nil || !strings.Contains(err.Error(), "star") {
		t.Fatalf("New(broadcast, star topology) error = %v, want unknown topology", err)
	}
}

func TestQuantilesFollowJepsen(t *testing.T) {
	q := quantiles([]float64{5, 1, 4, 2, 3})
	want := map[string]float64{"0": 1, "0.5": 3, "0.95": 5, "0.99": 5, "1": 5}
	for k, w := range want {
		if q[k] != w {
			t.Errorf("quantile %s = %v, want %v", k, q[k], w)
		}
	}
	if quantiles(nil) != nil {
		t.Error("quantiles(nil) should be nil")
	}
}

func TestVerdictCapsAnomaliesPerKind(t *testing.T) {
	v := newVerdict()
	for range maxPerKind + 5 {
		v.add("lost", "x")
	}
	r := v.result()
	if r.Valid || len(r.Anomalies) != maxPerKind+1 || !strings.Contains(r.Anomalies[maxPerKind].Detail, "5 more") {
		t.Fatalf("got %d anomalies, last %+v", len(r.Anomalies), r.Anomalies[len(r.Anomalies)-1])
	}
}
