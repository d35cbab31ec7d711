// Package anomalytest checks, for the Elle-based checkers' tests, the
// operations anomalies list (sim.Anomaly.Ops) against the history and
// against the transactions the anomalies' texts name.
package anomalytest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/glomers/glomers/sim"
)

// Ops returns the history indices of the operations each anomaly kind
// lists, after checking that every listed operation is h's as it is and
// that each anomaly's detail names them (Elle's ":index i," text) in the
// same order, except for the kinds in textless, whose texts name no
// transaction.
func Ops(t testing.TB, h sim.History, as []sim.Anomaly, textless ...string) map[string][]int {
	t.Helper()
	got := map[string][]int{}
	for _, a := range as {
		var ids []int
		for _, o := range a.Ops {
			if o.Index < 0 || o.Index >= len(h) || o != h[o.Index].Ref() {
				t.Errorf("%s lists %+v, not an operation of the history as it is", a.Kind, o)
			}
			ids = append(ids, o.Index)
		}
		got[a.Kind] = ids
		if !slices.Contains(textless, a.Kind) && !namesInOrder(a.Detail, ids) {
			t.Errorf("%s lists %v, not the operations its detail names in order:\n%s", a.Kind, ids, a.Detail)
		}
	}
	return got
}

// namesInOrder reports whether detail names the transactions ids (":index
// i,") in that order.
func namesInOrder(detail string, ids []int) bool {
	at := 0
	for _, id := range ids {
		i := strings.Index(detail[at:], fmt.Sprintf(":index %d,", id))
		if i < 0 {
			return false
		}
		at += i + 1
	}
	return len(ids) > 0
}
