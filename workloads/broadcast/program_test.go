package broadcast

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/rs/zerolog"
)

// The settings of Program's flags: what a node runs with no flags, and
// with --economy.
var (
	defaultConfig = mustConfig()
	economyConfig = mustConfig("--economy")
)

// config returns the Config that Program's flags select from args.
func config(args ...string) (Config, error) {
	fs := flag.NewFlagSet("broadcast", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := declareFlags(fs)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	return cfg(), nil
}

func mustConfig(args ...string) Config {
	cfg, err := config(args...)
	if err != nil {
		panic(err)
	}
	return cfg
}

func TestFlags(t *testing.T) {
	const lag = 100 * time.Millisecond // -round-lag's default, unused without -rounds
	star := func(batch, ae time.Duration) Config {
		return Config{Fanout: math.MaxInt, Batch: batch, AntiEntropy: ae, RoundLag: lag}
	}
	for _, tc := range []struct {
		args []string
		want Config
		err  string // what Program.Builder's error says, for bad flags
	}{
		{args: nil, want: Config{Fanout: 0, Batch: 0, AntiEntropy: 500 * time.Millisecond, RoundLag: lag}},
		{args: []string{"--economy"}, want: star(600*time.Millisecond, time.Second)},
		{args: []string{"--economy", "--batch", "300ms"}, want: star(300*time.Millisecond, time.Second)},
		{args: []string{"--batch=300ms", "--economy"}, want: star(300*time.Millisecond, time.Second)},
		{args: []string{"--economy", "--fanout", "0"}, want: Config{Fanout: 0, Batch: 600 * time.Millisecond, AntiEntropy: time.Second, RoundLag: lag}},
		{args: []string{"--fanout", "3", "--batch", "50ms", "--anti-entropy", "2s"}, want: Config{Fanout: 3, Batch: 50 * time.Millisecond, AntiEntropy: 2 * time.Second, RoundLag: lag}},
		{args: []string{"--economy", "--rounds", "--round-lag", "50ms"}, want: Config{Fanout: math.MaxInt, Batch: 600 * time.Millisecond, AntiEntropy: time.Second, Rounds: true, RoundLag: 50 * time.Millisecond}},
		{args: []string{"--round-lag", "-1ms"}, err: "round lag -1ms"},
		{args: []string{"--fanout", "-1"}, err: "fanout -1"},
		{args: []string{"--economy", "--anti-entropy", "0s"}, err: "anti-entropy period 0s"},
		{args: []string{"--batch", "-1s"}, err: "batch -1s"},
		{args: []string{"--batch", "soon"}, err: "invalid value"},
		{args: []string{"--frobnicate"}, err: "not defined"},
		{args: []string{"extra"}, err: "unexpected argument"},
	} {
		_, err := Program.Builder(tc.args)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "-anti-entropy period") {
				t.Errorf("Builder(%q) err = %v, want one saying %q, with the usage", tc.args, err, tc.err)
			}
			continue
		}
		if got, cerr := config(tc.args...); err != nil || cerr != nil || got != tc.want {
			t.Errorf("flags %q = %+v (errors %v, %v); want %+v", tc.args, got, err, cerr, tc.want)
		}
	}
}

// TestUsageSaysWhatItIs checks -help: the description, every flag, and the
// defaults that are not zero.
func TestUsageSaysWhatItIs(t *testing.T) {
	u := Program.Usage()
	for _, want := range []string{Program.Doc, "-fanout F", "-batch period", "-anti-entropy period", "(default 500ms)", "-economy", "600ms batches, 1s anti-entropy", "-rounds", "-round-lag delay"} {
		if !strings.Contains(u, want) {
			t.Errorf("usage lacks %q:\n%s", want, u)
		}
	}
}

// wire drives one node through its stdin and stdout, one request at a time.
type wire struct {
	t       *testing.T
	in      *io.PipeWriter
	out     *bufio.Reader
	gossips int // gossip messages the node sent to peers
}

type wireMsg struct {
	Dest string         `json:"dest"`
	Body map[string]any `json:"body"`
}

// call sends body from src to n0 and returns the reply to msg_id id, or
// nothing when id is 0 (no reply expected).
func (w *wire) call(src string, id int, body string) map[string]any {
	w.t.Helper()
	if _, err := fmt.Fprintf(w.in, `{"src":%q,"dest":"n0","body":%s}`+"\n", src, body); err != nil {
		w.t.Fatal(err)
	}
	for id != 0 {
		line, err := w.out.ReadBytes('\n')
		if err != nil {
			w.t.Fatalf("waiting for the reply to %d: %v", id, err)
		}
		var m wireMsg
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			w.t.Fatalf("output line %q: %v", line, err)
		}
		if m.Body["in_reply_to"] == json.Number(fmt.Sprint(id)) {
			return m.Body
		}
		if m.Dest == "n1" && m.Body["type"] == typeGossip {
			w.gossips++
		}
	}
	return nil
}

// TestProgramServesClientsAndRejectsBadInput checks the handlers on the
// wire: replies; malformed-request (12) naming the member for a body that
// does not match its message's schema, from a client or a peer; exact
// 64-bit values; and a peer's gossip showing up in reads.
func TestProgramServesClientsAndRejectsBadInput(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	build, err := Program.Builder(nil)
	if err != nil {
		t.Fatal(err)
	}
	n := node.New(build, node.WithIO(inR, outW), node.WithLogger(zerolog.Nop()))
	done := make(chan error, 1)
	go func() { done <- n.Run(context.Background()); outW.Close() }()
	w := &wire{t: t, in: inW, out: bufio.NewReader(outR)}

	for i, tc := range []struct {
		src, body string // body without its msg_id
		want      string // the reply's type, or for an error what its text names
	}{
		{"c0", `"type":"init","node_id":"n0","node_ids":["n0","n1"]`, "init_ok"},
		{"c1", `"type":"topology","topology":{"n0":["n1"],"n1":["n0"]}`, "topology_ok"},
		{"c1", `"type":"broadcast","message":4611686018427387904`, "broadcast_ok"},
		{"c1", `"type":"broadcast","message":"seven"`, `broadcastReq.message`},
		{"c1", `"type":"broadcast","message":1.5`, `broadcastReq.message`},
		{"c1", `"type":"broadcast"`, `missing "message"`},
		{"c1", `"type":"topology","topology":"x"`, `topologyReq.topology`},
		{"c1", `"type":"topology","topology":{"n0":"n1"}`, `topologyReq.topology`},
		{"c1", `"type":"topology"`, `missing "topology"`},
		{"c1", `"type":"gossip","segs":[]`, "not a peer"},
		{"n1", `"type":"gossip","segs":"x"`, `gossipBody.segs`},
		{"n1", `"type":"repair"`, `missing "segs"`},
		{"n1", `"type":"digest","have":[0,"x"]`, `digestBody.have`},
		{"n1", `"type":"digest","have":[0]`, "1 entries for 2 nodes"},
	} {
		id := i + 1
		got := w.call(tc.src, id, fmt.Sprintf(`{"msg_id":%d,%s}`, id, tc.body))
		switch typ, _ := got["type"].(string); {
		case typ == "error":
			text, _ := got["text"].(string)
			if got["code"] != json.Number("12") || !strings.Contains(text, tc.want) {
				t.Errorf("{%s} from %s: %v, want error 12 naming %s", tc.body, tc.src, got, tc.want)
			}
		case typ != tc.want:
			t.Errorf("{%s} from %s: %v, want %s", tc.body, tc.src, got, tc.want)
		}
	}
	w.call("n1", 0, `{"type":"gossip","segs":[{"o":1,"s":0,"v":[-5]}]}`)
	// The gossip is handled concurrently with what follows: read until it shows.
	for i := 0; ; i++ {
		msgs, _ := json.Marshal(w.call("c1", 100+i, fmt.Sprintf(`{"type":"read","msg_id":%d}`, 100+i))["messages"])
		if string(msgs) == `[4611686018427387904,-5]` {
			break
		}
		if i == 1000 || string(msgs) != `[4611686018427387904]` {
			t.Fatalf("read returned %s, want [4611686018427387904,-5]", msgs)
		}
	}
	inW.Close()
	if _, err := io.Copy(io.Discard, outR); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if w.gossips != 1 {
		t.Errorf("%d gossip messages to n1, want 1 (the broadcast value, at once)", w.gossips)
	}
}
