package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"testing"

	maelstrom "github.com/jepsen-io/maelstrom/demo/go"
	"github.com/rs/zerolog"
)

// echoTraffic is init followed by n echo requests, as Maelstrom sends them.
func echoTraffic(n int) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}` + "\n")
	for i := range n {
		fmt.Fprintf(&buf, `{"id":%d,"src":"c%d","dest":"n1","body":{"echo":"Please echo %d","type":"echo","msg_id":%d}}`+"\n", i, i%4+1, i, i+2)
	}
	return buf.Bytes()
}

// countingWriter counts lines, standing in for Maelstrom reading stdout.
type countingWriter struct{ lines int }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.lines += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

// BenchmarkEcho serves the same echo traffic with this runtime and with
// the official Maelstrom Go package's Node, one message per op. Both run
// with logging off (the official Node's log output goes to io.Discard, which
// still pays for formatting every message, as it does in real use).
func BenchmarkEcho(b *testing.B) {
	b.Run("glomers", func(b *testing.B) {
		in := echoTraffic(b.N)
		out := &countingWriter{}
		n := New(WithIO(bytes.NewReader(in), out), WithLogger(zerolog.Nop()))
		echoSetup(n)
		b.ReportAllocs()
		b.ResetTimer()
		if err := n.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		reportEcho(b, out)
	})
	b.Run("official", func(b *testing.B) {
		in := echoTraffic(b.N)
		out := &countingWriter{}
		log.SetOutput(io.Discard)
		defer log.SetOutput(nil)
		n := maelstrom.NewNode()
		n.Stdin, n.Stdout = bytes.NewReader(in), out
		n.Handle("echo", func(msg maelstrom.Message) error {
			var body map[string]any
			if err := json.Unmarshal(msg.Body, &body); err != nil {
				return err
			}
			body["type"] = "echo_ok"
			return n.Reply(msg, body)
		})
		b.ReportAllocs()
		b.ResetTimer()
		if err := n.Run(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		reportEcho(b, out)
	})
}

func reportEcho(b *testing.B, out *countingWriter) {
	if out.lines != b.N+1 {
		b.Fatalf("%d replies for %d requests", out.lines-1, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
