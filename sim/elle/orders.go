package elle

import "slices"

// LinkRealtime adds Elle's real-time order to g (elle.core/realtime-graph):
// a → b when the ok transaction a completed before b was invoked, whatever
// b's outcome. Like Elle it adds only a transitive reduction: walking the
// history, it keeps the ok completions not yet known to precede another ok
// completion, and links each of them to every new invocation. Failed and
// indeterminate transactions get edges in but none out.
func LinkRealtime(g *Graph, h History) {
	var frontier []int       // ok completions not implied by a later one
	preds := map[int][]int{} // b → the frontier linked to b at its invocation
	for _, e := range events(h) {
		if !e.complete {
			if len(frontier) > 0 {
				preds[e.op] = slices.Clone(frontier)
				for _, a := range frontier {
					g.Link(a, e.op, Realtime)
				}
			}
			continue
		}
		if h[e.op].Type != OK {
			continue
		}
		if implied := preds[e.op]; len(implied) > 0 {
			frontier = slices.DeleteFunc(frontier, func(a int) bool { return slices.Contains(implied, a) })
		}
		delete(preds, e.op)
		frontier = append(frontier, e.op)
	}
}

// LinkProcess adds Elle's process order to g (elle.core/process-graph):
// each ok transaction → the next ok transaction of the same process.
func LinkProcess(g *Graph, h History) {
	last := map[int]int{}
	for _, e := range events(h) {
		if !e.complete || h[e.op].Type != OK {
			continue
		}
		p := h[e.op].Process
		if a, ok := last[p]; ok {
			g.Link(a, e.op, Process)
		}
		last[p] = e.op
	}
}
