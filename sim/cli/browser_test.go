package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"io"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/glomers/glomers/node"
)

// screenshotFlag makes TestBrowser rewrite the README's screenshot,
// docs/run-page.png: go test ./sim/cli -run TestBrowser -screenshot. Without
// it the screenshot goes to the test's temporary directory, so that a test
// run leaves the work tree as it was (the page shows the run's time, so
// every screenshot differs).
var screenshotFlag = flag.Bool("screenshot", false, "TestBrowser: write the run page's screenshot to docs/run-page.png")

// screenshotPath is the README's screenshot, from this package's directory.
const screenshotPath = "../../docs/run-page.png"

// The browser's window, in CSS pixels.
const width, height = 1200, 900

// TestBrowser is the viewer in a real browser, headless Chromium driven
// over the DevTools protocol: the list shows a valid and an invalid run in
// their colours (green, red), a run page draws its Lamport diagram with
// its arrows, and a screenshot of that page is taken for the README. It
// skips when no Chromium is installed (.ci/run installs Debian's).
func TestBrowser(t *testing.T) {
	browser := findChromium()
	if browser == "" {
		t.Skip("no Chromium: neither chromium nor chromium-browser is on PATH (apt-get install chromium)")
	}
	root := t.TempDir()

	// A valid run, by the command itself: broadcast under partitions, so
	// the diagram has lanes, arrows between nodes and shaded partitions.
	code, out, errOut := run(t, "-w", "broadcast", "--node-count", "3", "--time-limit", "2", "--rate", "10", "--latency", "20",
		"--nemesis", "partition", "--nemesis-interval", "0.7", "--seed", "1", "--json", "--store", root)
	if code != ExitValid {
		t.Fatalf("broadcast: status %d, %s\n%s", code, errOut, out)
	}
	var rep struct{ Store string }
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	validRun := strings.TrimPrefix(rep.Store, root+"/")
	invalidRun := runBrokenEcho(t, root)

	srv := httptest.NewServer(NewViewer(root))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	// chromedp's defaults (headless, no first run, no background
	// networking, no extensions, no sync, ...) and the flags a root run on a
	// machine with a closed network needs.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox, // root, as CI runs
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)...)
	defer cancelAlloc() // waits for Chromium to exit
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	defer cancelBrowser()

	// The list: one row per run, coloured by its verdict.
	type row struct{ Class, Verdict, Background, Href string }
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("tr.run"))); err != nil {
		t.Fatalf("list page: %v", err)
	}
	rows, err := chromedp.Run(bctx, chromedp.Evaluate[[]row](`Array.from(document.querySelectorAll("tr.run")).map(r => ({
		Class: r.className,
		Verdict: (r.querySelector(".verdict") || r).textContent.trim(),
		Background: getComputedStyle(r).backgroundColor,
		Href: r.querySelector("a[href^='/run/']").getAttribute("href"),
	}))`))
	if err != nil {
		t.Fatalf("list page: %v", err)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		var want string
		switch {
		case strings.Contains(r.Href, validRun):
			want = "valid"
		case strings.Contains(r.Href, invalidRun):
			want = "invalid"
		default:
			t.Errorf("a row for no run of ours: %+v", r)
			continue
		}
		seen[want] = true
		red, green, blue, ok := parseRGB(r.Background)
		switch {
		case !ok:
			t.Errorf("%s run's row: background %q", want, r.Background)
		case !strings.Contains(" "+r.Class+" ", " "+want+" "):
			t.Errorf("%s run's row has class %q", want, r.Class)
		case want == "valid" && (r.Verdict != "true" || green <= red || green <= blue):
			t.Errorf("valid run's row: verdict %q on %s, want true on green", r.Verdict, r.Background)
		case want == "invalid" && (r.Verdict != "false" || red <= green || red <= blue):
			t.Errorf("invalid run's row: verdict %q on %s, want false on red", r.Verdict, r.Background)
		}
		t.Logf("%s run: class %q, verdict %q, background %s", want, r.Class, r.Verdict, r.Background)
	}
	if !seen["valid"] || !seen["invalid"] || len(rows) != 2 {
		t.Fatalf("list rows %+v: want the valid and the invalid run", rows)
	}

	// Each run's page draws its diagram; the valid one is the README's,
	// from the top of the page to the end of the diagram's box.
	type diagram struct {
		Arrows, Drawn int
		Bottom        float64
	}
	var end float64
	for _, tc := range []struct{ name, dir string }{{"invalid", invalidRun}, {"valid", validRun}} {
		if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/run/"+tc.dir+"/")); err != nil {
			t.Fatalf("%s run's page: %v", tc.name, err)
		}
		arrows, err := chromedp.Run(bctx, chromedp.Poll[diagram](diagramJS, chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			t.Fatalf("%s run's page: no Lamport diagram drawn: %v", tc.name, err)
		}
		t.Logf("%s run's diagram: %d arrows, %d of them drawn, ending %.0f px down the page", tc.name, arrows.Arrows, arrows.Drawn, arrows.Bottom)
		if arrows.Arrows == 0 || arrows.Drawn != arrows.Arrows {
			t.Errorf("%s run's diagram: %d arrows, %d drawn", tc.name, arrows.Arrows, arrows.Drawn)
		}
		end = arrows.Bottom
	}
	heading, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Call(bctx, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Clip:                  &page.Viewport{Width: width, Height: math.Ceil(min(max(end, height), 3*height)) + 16, Scale: 1},
		CaptureBeyondViewport: new(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(heading, "broadcast") || !strings.Contains(heading, "true") {
		t.Errorf("valid run's page: heading %q", heading)
	}
	img, err := png.Decode(bytes.NewReader(shot.Data))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() < height {
		t.Errorf("screenshot is %v", b)
	}
	path := filepath.Join(t.TempDir(), "run-page.png")
	if *screenshotFlag {
		path = screenshotPath
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, shot.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the valid run's page: %s (%d bytes)", path, len(shot.Data))
}

// diagramJS finds the page's Lamport diagram, inline or embedded (object,
// embed, iframe), once loaded, and counts its arrows (the message groups,
// g.msg, as store.DiagramArrows does) and those the browser drew with a
// size, and finds where it ends on the page; it is false until there is a
// diagram with arrows.
const diagramJS = `(() => {
	const docs = [document];
	for (const el of document.querySelectorAll("object, embed, iframe")) {
		try {
			const d = el.contentDocument || (el.getSVGDocument && el.getSVGDocument());
			if (d) docs.push(d);
		} catch (e) {}
	}
	for (const d of docs) {
		const msgs = d.querySelectorAll("svg g.msg");
		if (msgs.length === 0) continue;
		let drawn = 0;
		for (const g of msgs) {
			const b = g.getBBox();
			if (b.width > 0 || b.height > 0) drawn++;
		}
		// The diagram's bottom on the page: its element's, or its frame's
		// when embedded, cut by the boxes that scroll it.
		const el = d === document ? msgs[0].ownerSVGElement : [...document.querySelectorAll("object, embed, iframe")].find(f => {
			try { return (f.contentDocument || f.getSVGDocument()) === d; } catch (e) { return false; }
		});
		let bottom = el.getBoundingClientRect().bottom;
		for (let p = el.parentElement; p; p = p.parentElement) {
			if (getComputedStyle(p).overflowY !== "visible") bottom = Math.min(bottom, p.getBoundingClientRect().bottom);
		}
		return {Arrows: msgs.length, Drawn: drawn, Bottom: bottom + window.scrollY};
	}
	return false;
})()`

// findChromium is the Chromium binary on PATH, or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// parseRGB reads a computed colour, "rgb(r, g, b)" or "rgba(r, g, b, a)".
func parseRGB(s string) (r, g, b int, ok bool) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "rgba("), "rgb(")
	var a float64
	n, _ := fmt.Sscanf(strings.TrimSuffix(s, ")"), "%d, %d, %d, %g", &r, &g, &b, &a)
	return r, g, b, n >= 3 && (n == 3 || a > 0)
}

// runBrokenEcho runs the command's own path (its options, the store, the
// run) with an echo node that answers with its payload's JSON text as a
// string, so that the checker finds every echo wrong, and returns the
// run's directory under root.
func runBrokenEcho(t *testing.T, root string) string {
	t.Helper()
	cfg, opts, err := parseOptions([]string{"-w", "echo", "--node-count", "2", "--time-limit", "1", "--rate", "5", "--seed", "1", "--store", root}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Program = node.Program{Name: "broken-echo", New: func(*flag.FlagSet) node.Builder {
		return func(*node.Node, node.Init) (node.Handlers, error) {
			return node.Handlers{"echo": node.Typed(func(_ context.Context, _ node.Message, req struct{ Echo json.RawMessage }) (any, error) {
				return struct {
					Type string `json:"type"`
					Echo string `json:"echo"`
				}{"echo_ok", string(req.Echo)}, nil
			})}, nil
		}
	}}
	rep, err := runStored(cfg, opts.store, false, bubble(t), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Valid || len(rep.Anomalies) == 0 {
		t.Fatalf("the broken echo passed: %+v", rep)
	}
	return strings.TrimPrefix(rep.Store, root+"/")
}
