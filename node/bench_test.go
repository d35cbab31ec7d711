package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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

// echoServer is one node implementation under benchmark: it serves the
// lines of in and writes its replies to out until in ends.
type echoServer func(in io.Reader, out io.Writer) error

func glomersEcho(in io.Reader, out io.Writer) error {
	n := New(serve(nil), WithIO(in, out), WithLogger(zerolog.Nop()))
	return n.Run(context.Background())
}

// officialEcho serves with the official Node, whose log output goes to
// logTo: it logs every message it receives and sends.
func officialEcho(logTo func(b *testing.B) io.Writer) func(b *testing.B) echoServer {
	return func(b *testing.B) echoServer {
		return func(in io.Reader, out io.Writer) error {
			log.SetOutput(logTo(b))
			defer log.SetOutput(os.Stderr)
			n := maelstrom.NewNode()
			n.Stdin, n.Stdout = in, out
			n.Handle("echo", func(msg maelstrom.Message) error {
				var body map[string]any
				if err := json.Unmarshal(msg.Body, &body); err != nil {
					return err
				}
				body["type"] = "echo_ok"
				return n.Reply(msg, body)
			})
			return n.Run()
		}
	}
}

// stderrFile stands in for the file Maelstrom saves a node's stderr to.
func stderrFile(b *testing.B) io.Writer {
	f, err := os.Create(filepath.Join(b.TempDir(), "node.log"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

func discard(*testing.B) io.Writer { return io.Discard }

var echoServers = []struct {
	name  string
	serve func(b *testing.B) echoServer
}{
	{"glomers", func(*testing.B) echoServer { return glomersEcho }},
	{"official", officialEcho(stderrFile)},
	{"official-nolog", officialEcho(discard)},
}

// BenchmarkEcho serves the same echo traffic with this runtime and with
// the official Maelstrom Go package's Node, one message per op. Ours logs
// nothing by default. The official Node logs every message to stderr, which
// Maelstrom saves to a file: "official" writes that log to a file as it
// does under Maelstrom, and "official-nolog" discards it, which still pays
// for formatting every line but not for writing it.
//
// "burst" hands the node every request at once, so it measures the node
// with a deep backlog; "clients" is Maelstrom's shape: 16 clients, each
// sending its next request when the last one is answered, over pipes.
func BenchmarkEcho(b *testing.B) {
	for _, srv := range echoServers {
		b.Run("burst/"+srv.name, func(b *testing.B) {
			in := echoTraffic(b.N)
			out := &countingWriter{}
			b.ReportAllocs()
			b.ResetTimer()
			if err := srv.serve(b)(bytes.NewReader(in), out); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if out.lines != b.N+1 {
				b.Fatalf("%d replies for %d requests", out.lines-1, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
	for _, srv := range echoServers {
		b.Run("clients/"+srv.name, func(b *testing.B) {
			benchClients(b, srv.serve(b), 16)
		})
	}
}

// benchClients drives serve with closed-loop clients over pipes.
func benchClients(b *testing.B, serve echoServer, clients int) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- serve(inR, outW); outW.Close() }()

	var inMu sync.Mutex
	write := func(line string) {
		inMu.Lock()
		defer inMu.Unlock()
		if _, err := io.WriteString(inW, line); err != nil {
			b.Error(err)
		}
	}
	replies := make([]chan struct{}, clients+1) // by client number; 0 is init
	for i := range replies {
		replies[i] = make(chan struct{}, 1)
	}
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			var m struct{ Dest string }
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				b.Error(err)
				return
			}
			c, _ := strconv.Atoi(strings.TrimPrefix(m.Dest, "c"))
			replies[c] <- struct{}{}
		}
	}()
	write(`{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}` + "\n")
	<-replies[0]

	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for c := 1; c <= clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c - 1; i < b.N; i += clients {
				write(fmt.Sprintf(`{"src":"c%d","dest":"n1","body":{"echo":"Please echo %d","type":"echo","msg_id":%d}}`+"\n", c, i, i+1))
				<-replies[c]
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	inW.Close()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
