package store

import (
	"bufio"
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/glomers/glomers/sim"
)

// histEvent is one line of a history: an operation's invocation or
// completion, or a nemesis action.
type histEvent struct {
	at     time.Duration
	seq    int // Jepsen's history index among client events; -1 for the nemesis
	op     *sim.Op
	invoke bool
	nem    *sim.NemesisEvent
}

// events orders a report's history and nemesis actions as they happened.
func events(rep *sim.Report) []histEvent {
	evs := make([]histEvent, 0, 2*len(rep.History)+len(rep.Nemesis))
	for i := range rep.History {
		op := &rep.History[i]
		evs = append(evs, histEvent{at: op.Invoke, seq: op.InvokeEvent, op: op, invoke: true},
			histEvent{at: op.Complete, seq: op.CompleteEvent, op: op})
	}
	for i := range rep.Nemesis {
		e := &rep.Nemesis[i]
		evs = append(evs, histEvent{at: time.Duration(e.At * float64(time.Second)), seq: -1, nem: e})
	}
	slices.SortStableFunc(evs, func(a, b histEvent) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	return evs
}

// histLine is one line of history.jsonl.
type histLine struct {
	Index   int     `json:"index"`
	Type    string  `json:"type"`    // invoke, ok, fail or info
	Process any     `json:"process"` // the client process, or "nemesis"
	F       string  `json:"f"`
	Value   any     `json:"value"`
	TimeMS  float64 `json:"time_ms"` // virtual, since the run began
	Node    string  `json:"node,omitempty"`
	Error   string  `json:"error,omitempty"`
	Code    int     `json:"code,omitempty"`
	Final   bool    `json:"final,omitempty"`
}

// line describes e as Jepsen records it.
func (e histEvent) line(index int) histLine {
	l := histLine{Index: index, TimeMS: ms(e.at)}
	if n := e.nem; n != nil {
		l.Type, l.Process, l.F = "info", "nemesis", "stop-partition"
		if n.Action == "partition" {
			l.F = "start-partition"
			l.Value = map[string]any{"shape": n.Shape, "grudge": n.Grudge}
		}
		return l
	}
	op := e.op
	l.Process, l.F, l.Node, l.Final, l.Value = op.Process, op.F, op.Node, op.Final, op.Value
	if e.invoke {
		l.Type = "invoke"
		return l
	}
	l.Type, l.Error, l.Code = op.Status.String(), op.Error, op.ErrCode
	if op.Out != nil {
		l.Value = op.Out
	}
	return l
}

// writeHistory writes history.txt (Jepsen's tab-separated lines: process,
// type, f, value, error) or, with asJSON, history.jsonl.
func writeHistory(w *bufio.Writer, rep *sim.Report, asJSON bool) error {
	for i, e := range events(rep) {
		l := e.line(i)
		if asJSON {
			b, err := json.Marshal(l)
			if err != nil {
				return err
			}
			w.Write(b)
			w.WriteByte('\n')
			continue
		}
		if l.Process == "nemesis" {
			w.WriteString(":nemesis")
		} else {
			w.WriteString(strconv.Itoa(l.Process.(int)))
		}
		w.WriteString("\t:" + l.Type + "\t:" + l.F + "\t")
		v, err := json.Marshal(l.Value)
		if err == nil {
			err = ednValue(w, v)
		}
		if err != nil {
			return err
		}
		if l.Error != "" {
			w.WriteString("\t" + l.Error)
		}
		if err := w.WriteByte('\n'); err != nil {
			return err
		}
	}
	return nil
}
