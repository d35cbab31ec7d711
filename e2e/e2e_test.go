// Package e2e builds the node binaries and drives them as processes over
// their real stdin and stdout with scripted Maelstrom messages, the way
// Maelstrom runs them.
package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// build compiles ./cmd/<name> into a temporary directory.
func build(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/"+name)
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, out)
	}
	return bin
}

// proc is a running node binary.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr strings.Builder
}

func start(t *testing.T, bin string) *proc {
	t.Helper()
	p := &proc{t: t, cmd: exec.Command(bin), lines: make(chan string, 1024)}
	p.cmd.Stderr = &p.stderr
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	t.Cleanup(func() { _ = p.cmd.Process.Kill() })
	return p
}

func (p *proc) send(line string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		p.t.Fatalf("write stdin: %v", err)
	}
}

type reply struct {
	Src  string                     `json:"src"`
	Dest string                     `json:"dest"`
	Body map[string]json.RawMessage `json:"body"`
}

func (p *proc) next() reply {
	p.t.Helper()
	select {
	case line, ok := <-p.lines:
		if !ok {
			p.t.Fatalf("stdout closed; stderr:\n%s", p.stderr.String())
		}
		var r reply
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			p.t.Fatalf("stdout line %q is not a message: %v", line, err)
		}
		return r
	case <-time.After(10 * time.Second):
		p.t.Fatal("no reply within 10s")
		return reply{}
	}
}

// finish closes stdin and checks the process exits 0 with nothing more on
// stdout.
func (p *proc) finish() {
	p.t.Helper()
	p.stdin.Close()
	for line := range p.lines {
		p.t.Errorf("unexpected output after the last reply: %s", line)
	}
	if err := p.cmd.Wait(); err != nil {
		p.t.Fatalf("exit: %v; stderr:\n%s", err, p.stderr.String())
	}
}

func initNode(p *proc, id string, ids ...string) {
	p.t.Helper()
	quoted, _ := json.Marshal(ids)
	p.send(fmt.Sprintf(`{"src":"c0","dest":%q,"body":{"type":"init","msg_id":1,"node_id":%q,"node_ids":%s}}`, id, id, quoted))
	if r := p.next(); string(r.Body["type"]) != `"init_ok"` || string(r.Body["in_reply_to"]) != "1" || r.Src != id {
		p.t.Fatalf("init: got %+v", r)
	}
}

func TestEchoProcess(t *testing.T) {
	p := start(t, build(t, "echo"))
	initNode(p, "n0", "n0")
	payloads := []string{`"Please echo 1"`, `4611686018427387904`, `{"nested":[1,2,{"x":null}]}`, `"` + strings.Repeat("z", 1<<20) + `"`}
	for i, payload := range payloads {
		p.send(fmt.Sprintf(`{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":%d,"echo":%s}}`, i+2, payload))
		r := p.next()
		if string(r.Body["type"]) != `"echo_ok"` || string(r.Body["echo"]) != payload || string(r.Body["in_reply_to"]) != fmt.Sprint(i+2) || r.Dest != "c1" {
			t.Fatalf("echo %d: got %.200v", i, r.Body)
		}
	}
	p.send(`not json at all`)
	p.send(`{"src":"c1","dest":"n0","body":{"type":"nope","msg_id":99}}`)
	if r := p.next(); string(r.Body["code"]) != "10" {
		t.Fatalf("unknown type: got %v", r.Body)
	}
	p.finish()
}

func TestUniqueIDsProcesses(t *testing.T) {
	bin := build(t, "unique-ids")
	ids := map[string]string{}
	nodes := []string{"n0", "n1", "n2"}
	for _, id := range nodes {
		p := start(t, bin)
		initNode(p, id, nodes...)
		for i := range 1000 {
			p.send(fmt.Sprintf(`{"src":"c1","dest":%q,"body":{"type":"generate","msg_id":%d}}`, id, i+2))
		}
		for range 1000 {
			r := p.next()
			got := string(r.Body["id"])
			if prev, dup := ids[got]; dup {
				t.Fatalf("id %s from %s and %s", got, prev, id)
			}
			ids[got] = id
		}
		p.finish()
	}
	if len(ids) != 3000 {
		t.Fatalf("%d ids", len(ids))
	}
}

func TestMain(m *testing.M) {
	if _, err := exec.LookPath("go"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: the go command is needed to build the binaries")
		os.Exit(1)
	}
	os.Exit(m.Run())
}
