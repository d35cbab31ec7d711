// Package store keeps the simulator's runs on disk, laid out as Maelstrom
// (Jepsen's store) lays out its tests, so that `maelstrom serve` lists
// them beside real Maelstrom runs and `scripts/sim serve` shows both:
//
//	store/latest -> <workload>/<time>
//	store/<workload>/latest -> <time>
//	store/<workload>/<time>/          time in UTC, e.g. 20261128T101500.000Z
//	    results.edn     the verdict (:valid? true, false or :unknown) and the report, in EDN
//	    results.json    the report, as scripts/sim --json prints it
//	    config.json     the run's configuration (Config)
//	    history.txt     one line per invocation and completion, as Jepsen writes it
//	    history.jsonl   the same, one JSON object a line
//	    messages.jsonl  the message journal: every message, streamed during the run
//	    messages.svg    a Lamport diagram of the first messages
//	    latency-raw.svg, latency-quantiles.svg, rate.svg
//	                    every operation's latency, ok latencies' quantiles and
//	                    the operation rate over time (plot.go)
//	    node-logs/      each node's log, <id>.log (Config.LogDir); the
//	                    lin-kv checker's porcupine pages for keys that fail
//
// A run is Created before it starts, journals its messages through
// Run.Journal (Config.Journal) and records its history through Run.Record
// (Config.Record) as they happen, so that neither piles up in memory, and
// is Finished with its report, or Failed with the reason it could not run.
package store

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/glomers/glomers/sim"
)

// TimeLayout names a run's directory by its start, as Jepsen does
// (basic-date-time, UTC).
const TimeLayout = "20060102T150405.000Z"

// Files of a run's directory.
const (
	ResultsEDN   = "results.edn"
	ResultsJSON  = "results.json"
	ConfigJSON   = "config.json"
	HistoryTxt   = "history.txt"
	HistoryJSONL = "history.jsonl"
	MessagesFile = "messages.jsonl"
	MessagesSVG  = "messages.svg"
	NodeLogs     = "node-logs"
	Latest       = "latest"
)

// Run is one run's directory while it is written.
type Run struct {
	Dir string // <root>/<workload>/<time>

	journal, txt, jsonl *stream // messages.jsonl, history.txt, history.jsonl
	events              int     // history events recorded
}

// stream is a file of the run written line by line while it happens; it
// keeps its first error.
type stream struct {
	name string
	f    *os.File
	w    *bufio.Writer
	err  error
}

func openStream(dir, name string) (*stream, error) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &stream{name: name, f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

// put writes with write unless an earlier write failed.
func (s *stream) put(write func(*bufio.Writer) error) {
	if s.err == nil {
		s.err = write(s.w)
	}
}

// close flushes and closes the stream, and reports its first error.
func (s *stream) close() error {
	if s.f == nil {
		return nil
	}
	err := errors.Join(s.err, s.w.Flush(), s.f.Close())
	s.f = nil
	if err != nil {
		return fmt.Errorf("store: %s: %w", s.name, err)
	}
	return nil
}

// Create makes the directory of a run of workload starting at start under
// root (a later millisecond when that one is taken), points the latest
// links at it, and opens its message journal.
func Create(root, workload string, start time.Time) (*Run, error) {
	if workload == "" || filepath.Base(workload) != workload || workload == "." || workload == ".." {
		return nil, fmt.Errorf("store: bad workload name %q", workload)
	}
	parent := filepath.Join(root, workload)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var dir string
	for t := start.UTC(); ; t = t.Add(time.Millisecond) {
		dir = filepath.Join(parent, t.Format(TimeLayout))
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, NodeLogs), 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	name := filepath.Base(dir)
	if err := relink(filepath.Join(parent, Latest), name); err != nil {
		return nil, err
	}
	if err := relink(filepath.Join(root, Latest), filepath.Join(workload, name)); err != nil {
		return nil, err
	}
	r := &Run{Dir: dir}
	var err error
	for _, s := range []struct {
		to   **stream
		name string
	}{{&r.journal, MessagesFile}, {&r.txt, HistoryTxt}, {&r.jsonl, HistoryJSONL}} {
		if *s.to, err = openStream(dir, s.name); err != nil {
			r.closeStreams()
			return nil, err
		}
	}
	return r, nil
}

// relink points the symbolic link at path to target, replacing it at once.
func relink(path, target string) error {
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// NodeLogDir is where the run's node logs go (Config.LogDir).
func (r *Run) NodeLogDir() string { return filepath.Join(r.Dir, NodeLogs) }

// Message is one line of messages.jsonl. Times are virtual milliseconds
// since the run began; RecvMS is nil for a message still in flight when
// the run ended.
type Message struct {
	Src       string          `json:"src"`
	Dest      string          `json:"dest"`
	Type      string          `json:"type"`
	MsgID     int64           `json:"msg_id,omitempty"`
	InReplyTo int64           `json:"in_reply_to,omitempty"`
	SentMS    float64         `json:"sent_ms"`
	RecvMS    *float64        `json:"recv_ms"`
	Dropped   bool            `json:"dropped,omitempty"`
	Body      json.RawMessage `json:"body,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Journal appends one message to messages.jsonl. It is Config.Journal: the
// run's loop calls it, one message at a time.
func (r *Run) Journal(e sim.JournalEntry) {
	m := Message{Src: e.Src, Dest: e.Dest, Type: e.Type, MsgID: e.MsgID, InReplyTo: e.InReplyTo,
		SentMS: ms(e.Sent), Dropped: e.Dropped, Body: e.Body}
	if e.Delivered >= 0 {
		recv := ms(e.Delivered)
		m.RecvMS = &recv
	}
	r.journal.put(func(w *bufio.Writer) error {
		b, err := json.Marshal(m)
		if err != nil { // a body that is not JSON after all
			m.Body = nil
			b, err = json.Marshal(m)
		}
		if err == nil {
			w.Write(b)
			err = w.WriteByte('\n')
		}
		return err
	})
}

// Record appends one event of the history to history.txt and
// history.jsonl, completion values included (the run itself does not keep
// them). It is Config.Record: the run's loop calls it, one event at a time.
func (r *Run) Record(e sim.HistoryEvent) {
	l := line(e, r.events)
	r.events++
	value, err := json.Marshal(l.Value) // once, for both files
	r.txt.put(func(w *bufio.Writer) error {
		if err != nil {
			return err
		}
		return writeTxt(w, l, value)
	})
	r.jsonl.put(func(w *bufio.Writer) error {
		if err != nil {
			return err
		}
		l.Value = json.RawMessage(value)
		return writeJSONL(w, l)
	})
}

// closeStreams flushes and closes the files written during the run.
func (r *Run) closeStreams() error {
	var errs []error
	for _, s := range []*stream{r.journal, r.txt, r.jsonl} {
		if s != nil {
			errs = append(errs, s.close())
		}
	}
	return errors.Join(errs...)
}

// Finish writes the finished run's results, history and diagram, and
// closes its journal; rep.Store should already name r.Dir.
func (r *Run) Finish(cfg sim.Config, rep *sim.Report) error {
	errs := []error{r.closeStreams(), r.writeConfig(cfg)}
	report, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	errs = append(errs,
		r.write(ResultsJSON, func(w *bufio.Writer) error { _, err := w.Write(append(report, '\n')); return err }),
		r.write(ResultsEDN, func(w *bufio.Writer) error { return writeResults(w, verdict(rep), report) }),
		r.write(MessagesSVG, func(w *bufio.Writer) error { return r.diagram(w, cfg, rep) }),
	)
	return errors.Join(errs...)
}

// Fail records a run of cfg that could not happen: results say :valid?
// :unknown and why.
func (r *Run) Fail(cfg sim.Config, cause error) error {
	obj, _ := json.Marshal(map[string]any{"workload": cfg.Workload, "error": cause.Error()})
	return errors.Join(r.closeStreams(), r.writeConfig(cfg),
		r.write(ResultsJSON, func(w *bufio.Writer) error { _, err := w.Write(append(obj, '\n')); return err }),
		r.write(ResultsEDN, func(w *bufio.Writer) error { return writeResults(w, Unknown, obj) }))
}

// Config is a run's configuration as config.json records it.
type Config struct {
	Workload        string   `json:"workload"`
	NodeCount       int      `json:"node_count"`
	TimeLimit       float64  `json:"time_limit_s"`
	Rate            float64  `json:"rate"`
	Concurrency     int      `json:"concurrency"`
	Latency         float64  `json:"latency_ms"`
	LatencyDist     string   `json:"latency_dist"`
	Nemesis         []string `json:"nemesis,omitempty"`
	NemesisInterval float64  `json:"nemesis_interval_s,omitempty"`
	Topology        string   `json:"topology,omitempty"`
	Availability    string   `json:"availability,omitempty"`
	Consistency     []string `json:"consistency_models,omitempty"`
	KeyCount        int      `json:"key_count,omitempty"`
	Seed            int64    `json:"seed,string"`
	Bin             string   `json:"bin,omitempty"`
	NodeArgs        []string `json:"node_args,omitempty"`
	Strict          bool     `json:"strict,omitempty"`
}

// ConfigOf is what config.json records of c.
func ConfigOf(c sim.Config) Config {
	c = c.WithDefaults()
	out := Config{Workload: c.Workload, NodeCount: c.NodeCount, TimeLimit: c.TimeLimit.Seconds(), Rate: c.Rate,
		Concurrency: c.Concurrency, Latency: ms(c.Latency), LatencyDist: c.LatencyDist, Nemesis: c.Nemesis,
		Availability: c.Availability, Consistency: c.Consistency, KeyCount: c.KeyCount, Seed: c.Seed,
		Bin: c.Bin, NodeArgs: c.NodeArgs, Strict: c.Strict}
	if len(c.Nemesis) > 0 {
		out.NemesisInterval = c.NemesisInterval.Seconds()
	}
	if c.Workload == "broadcast" {
		out.Topology = c.Topology
	}
	return out
}

func (r *Run) writeConfig(cfg sim.Config) error {
	b, err := json.MarshalIndent(ConfigOf(cfg), "", "  ")
	if err != nil {
		return err
	}
	return r.write(ConfigJSON, func(w *bufio.Writer) error { _, err := w.Write(append(b, '\n')); return err })
}

// write makes one file of the run with fill.
func (r *Run) write(name string, fill func(*bufio.Writer) error) error {
	f, err := os.Create(filepath.Join(r.Dir, name))
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	if err := errors.Join(fill(w), w.Flush(), f.Close()); err != nil {
		return fmt.Errorf("store: %s: %w", name, err)
	}
	return nil
}

// diagram draws messages.svg from the journal on disk.
func (r *Run) diagram(w *bufio.Writer, cfg sim.Config, rep *sim.Report) error {
	f, err := os.Open(filepath.Join(r.Dir, MessagesFile))
	if err != nil {
		return err
	}
	defer f.Close()
	return WriteSVG(w, f, rep.Nemesis, MaxDiagramMessages)
}

// Verdict is a run's :valid?: "true", "false" or "unknown".
type Verdict string

// Verdicts.
const (
	Valid   Verdict = "true"
	Invalid Verdict = "false"
	Unknown Verdict = "unknown"
)

func verdict(rep *sim.Report) Verdict {
	switch {
	case rep.Valid:
		return Valid
	case rep.Unknown:
		return Unknown
	}
	return Invalid
}
