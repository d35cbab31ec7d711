package store

import (
	"bufio"
	"encoding/json"
	"strconv"

	"github.com/glomers/glomers/sim"
)

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

// line describes e, the index-th event of the history, as Jepsen records
// it.
func line(e sim.HistoryEvent, index int) histLine {
	l := histLine{Index: index}
	if n := e.Nemesis; n != nil {
		l.Type, l.Process, l.F, l.TimeMS = "info", "nemesis", "stop-partition", n.At*1000
		if n.Action == "partition" {
			l.F = "start-partition"
			l.Value = map[string]any{"shape": n.Shape, "grudge": n.Grudge}
		}
		return l
	}
	op := e.Op
	l.Process, l.F, l.Node, l.Final, l.Value = op.Process, op.F, op.Node, op.Final, op.Value
	if !e.Completed {
		l.Type, l.TimeMS = "invoke", ms(op.Invoke)
		return l
	}
	l.Type, l.TimeMS, l.Error, l.Code = op.Status.String(), ms(op.Complete), op.Error, op.ErrCode
	if op.Out != nil {
		l.Value = op.Out
	}
	return l
}

// writeJSONL writes l as one line of history.jsonl.
func writeJSONL(w *bufio.Writer, l histLine) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	w.Write(b)
	return w.WriteByte('\n')
}

// writeTxt writes l, whose value encodes to the JSON value, as one line of
// history.txt: Jepsen's tab-separated process, type, f, value (in EDN) and
// error.
func writeTxt(w *bufio.Writer, l histLine, value []byte) error {
	if l.Process == "nemesis" {
		w.WriteString(":nemesis")
	} else {
		w.WriteString(strconv.Itoa(l.Process.(int)))
	}
	w.WriteString("\t:" + l.Type + "\t:" + l.F + "\t")
	if !writeEDNOf(w, l.Value) {
		if err := ednValue(w, value); err != nil {
			return err
		}
	}
	if l.Error != "" {
		w.WriteString("\t" + l.Error)
	}
	return w.WriteByte('\n')
}

// writeEDNOf writes v as EDN straight from its Go value when it has one of
// the shapes long histories are made of (integers, strings, lists of
// integers, such as every broadcast read), exactly as ednValue would write
// its JSON, and reports whether it did; other values go through JSON.
func writeEDNOf(w *bufio.Writer, v any) bool {
	switch v := v.(type) {
	case nil:
		w.WriteString("nil")
	case int64:
		w.WriteString(strconv.FormatInt(v, 10))
	case int:
		w.WriteString(strconv.Itoa(v))
	case string:
		writeString(w, v)
	case []int64:
		if v == nil {
			w.WriteString("nil")
			break
		}
		w.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				w.WriteByte(' ')
			}
			w.WriteString(strconv.FormatInt(x, 10))
		}
		w.WriteByte(']')
	default:
		return false
	}
	return true
}
