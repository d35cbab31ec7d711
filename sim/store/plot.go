package store

import (
	"bufio"
	"errors"
	"fmt"
	"image/color"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/glomers/glomers/sim"
)

// The performance plots of a run, as Jepsen's perf checker draws them for
// Maelstrom (there as PNG, here as SVG), drawn with gonum.org/v1/plot from
// the report's history, beside messages.svg.
const (
	LatencyRawSVG       = "latency-raw.svg"       // each op's latency by its invocation time
	LatencyQuantilesSVG = "latency-quantiles.svg" // quantiles of ok latencies per :f over time
	RateSVG             = "rate.svg"              // ops per second per :f and outcome over time
)

// Plot is one of a run's plots, as the viewer shows it.
type Plot struct {
	File, Title, About string
}

// Plots are the plots WritePlots writes, in the order the viewer shows them.
var Plots = []Plot{
	{LatencyRawSVG, "Latency", "Every operation's latency (log scale) by the time it was invoked, one point style per :f and outcome; partitions shaded."},
	{LatencyQuantilesSVG, "Latency quantiles", "The 0.5, 0.95, 0.99 and 1 quantiles of ok operations' latencies per :f, over windows of invocation time (log scale); partitions shaded."},
	{RateSVG, "Rate", "Operations completed per second, per :f and outcome, over windows of time; partitions shaded."},
}

// MaxPlotPoints caps the points latency-raw.svg draws: past it, every
// k-th operation of each :f and outcome is drawn, and the title says so.
const MaxPlotPoints = 20000

// Plot sizes.
var (
	plotW = 10 * vg.Inch
	plotH = 4.5 * vg.Inch
)

// Outcome colours, Jepsen's: ok blue, info orange, fail pink.
var outcomeColour = map[sim.Status]color.Color{
	sim.OK:   color.NRGBA{0x3a, 0x8f, 0xe8, 0xff},
	sim.Info: color.NRGBA{0xff, 0xa4, 0x00, 0xff},
	sim.Fail: color.NRGBA{0xff, 0x1e, 0x90, 0xff},
}

var outcomes = []sim.Status{sim.OK, sim.Info, sim.Fail}

// quantileColour colours the quantiles of latency-quantiles.svg.
var quantileColour = []struct {
	q float64
	c color.Color
}{
	{0.5, color.NRGBA{0x1f, 0x77, 0xb4, 0xff}},
	{0.95, color.NRGBA{0x2c, 0xa0, 0x2c, 0xff}},
	{0.99, color.NRGBA{0xff, 0x7f, 0x0e, 0xff}},
	{1, color.NRGBA{0xd6, 0x27, 0x28, 0xff}},
}

// glyphs mark the :fs, in order of name.
var glyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.SquareGlyph{}, draw.CrossGlyph{},
	draw.PlusGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{}}

// dashes mark the :fs in rate.svg, in order of name.
var dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}, {vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)}}

// WritePlots writes the run's plots (Plots) from its report's history.
func (r *Run) WritePlots(rep *sim.Report) error {
	var errs []error
	for _, p := range Plots {
		errs = append(errs, r.write(p.File, func(w *bufio.Writer) error { return WritePlot(w, p.File, rep) }))
	}
	return errors.Join(errs...)
}

// WritePlot draws the plot named file (one of Plots) of rep's history to
// w, as SVG. A history without operations makes a plot with axes only.
func WritePlot(w io.Writer, file string, rep *sim.Report) (err error) {
	defer func() { // gonum/plot panics on ranges it cannot draw
		if e := recover(); e != nil {
			err = fmt.Errorf("plot %s: %v", file, e)
		}
	}()
	pd := newPlotData(rep)
	var p *plot.Plot
	var legend plot.Legend
	switch file {
	case LatencyRawSVG:
		p, legend, err = pd.latencyRaw()
	case LatencyQuantilesSVG:
		p, legend, err = pd.latencyQuantiles()
	case RateSVG:
		p, legend, err = pd.rate()
	default:
		return fmt.Errorf("store: no plot %q", file)
	}
	if err != nil {
		return err
	}
	return drawSVG(w, p, legend)
}

// plotData is what the plots need of a report.
type plotData struct {
	workload string
	ops      []sim.Op
	fs       []string // the :fs, sorted
	glyph    map[string]int
	end      float64      // seconds: the end of the x axis
	parts    [][2]float64 // partitions, start and heal in seconds
}

func newPlotData(rep *sim.Report) *plotData {
	pd := &plotData{workload: rep.Workload, ops: rep.History, end: rep.VirtualSeconds, glyph: map[string]int{}}
	for _, op := range rep.History {
		if _, ok := pd.glyph[op.F]; !ok {
			pd.glyph[op.F] = 0
		}
		pd.end = max(pd.end, secs(op.Complete), secs(op.Invoke))
	}
	pd.fs = slices.Sorted(maps.Keys(pd.glyph))
	for i, f := range pd.fs {
		pd.glyph[f] = i
	}
	for i, e := range rep.Nemesis {
		if e.Action != "partition" {
			continue
		}
		pd.end = max(pd.end, e.At)
		heal := math.Inf(1)
		for _, h := range rep.Nemesis[i+1:] {
			if h.Action == "heal" {
				heal = h.At
				break
			}
		}
		pd.parts = append(pd.parts, [2]float64{e.At, heal})
	}
	if !(pd.end > 0) || math.IsInf(pd.end, 0) {
		pd.end = 1
	}
	return pd
}

func secs(d time.Duration) float64 { return d.Seconds() }

// latencyMS is an op's latency.
func latencyMS(op *sim.Op) float64 { return ms(op.Complete - op.Invoke) }

// zeroAt is where a log-scale plot whose least positive latency is lo
// (+Inf for none) draws latencies of zero: at the bottom of its axis, a
// decade below lo's.
func zeroAt(lo float64) float64 {
	if !(lo > 0) || math.IsInf(lo, 0) {
		return 0.1
	}
	return math.Pow(10, math.Floor(math.Log10(lo))-1)
}

// newPlot is a plot with the run's time on the x axis and partitions
// shaded; the legend is drawn beside it.
func (pd *plotData) newPlot(title, ylabel string) (*plot.Plot, plot.Legend) {
	p := plot.New()
	p.Title.Text = pd.workload + ": " + title
	p.X.Label.Text = "time (s)"
	p.Y.Label.Text = ylabel
	p.X.Min, p.X.Max = 0, pd.end
	p.X.Tick.Marker = roundTicks{}
	p.Add(plotter.NewGrid())
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.TextStyle.Font.Size = vg.Points(10)
	for _, f := range []*font.Font{&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &legend.TextStyle.Font} {
		f.Variant = "Sans" // Liberation Sans, of the fonts gonum/plot measures text with
	}
	if len(pd.parts) > 0 {
		s := shade{pd.parts}
		p.Add(s)
		legend.Add("partition", s)
	}
	return p, legend
}

// logY sets a log-scale y axis over whole decades around lo and hi.
func logY(p *plot.Plot, lo, hi float64) {
	if !(lo > 0) || !(hi >= lo) || math.IsInf(hi, 0) {
		lo, hi = 1, 1000
	}
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = decadeTicks{}
	p.Y.Min = math.Pow(10, math.Floor(math.Log10(lo)))
	p.Y.Max = math.Pow(10, math.Ceil(math.Log10(hi)))
	if p.Y.Max <= p.Y.Min {
		p.Y.Max = p.Y.Min * 10
	}
}

// latencyRaw is latency-raw.svg: a point per op at its invocation time and
// latency, one style per :f (shape) and outcome (colour).
func (pd *plotData) latencyRaw() (*plot.Plot, plot.Legend, error) {
	stride := 1
	if len(pd.ops) > MaxPlotPoints {
		stride = (len(pd.ops) + MaxPlotPoints - 1) / MaxPlotPoints
	}
	title := fmt.Sprintf("latency of %d operations", len(pd.ops))
	if stride > 1 {
		title += fmt.Sprintf(" (every %s of each kind drawn)", ordinal(stride))
	}
	p, legend := pd.newPlot(title, "latency (ms)")
	type key struct {
		f string
		s sim.Status
	}
	series := map[key]plotter.XYs{}
	seen := map[key]int{}
	lo, hi, zeros := math.Inf(1), math.Inf(-1), 0
	for i := range pd.ops {
		op := &pd.ops[i]
		k := key{op.F, op.Status}
		n := seen[k]
		seen[k]++
		if n%stride != 0 {
			continue
		}
		l := latencyMS(op)
		if l > 0 {
			lo = min(lo, l)
		} else {
			zeros++
		}
		hi = max(hi, l)
		series[k] = append(series[k], plotter.XY{X: secs(op.Invoke), Y: l})
	}
	if zeros > 0 {
		z := zeroAt(lo)
		for _, xys := range series {
			for i := range xys {
				xys[i].Y = max(xys[i].Y, z)
			}
		}
		lo, hi = z, max(hi, z)
		p.Title.Text += fmt.Sprintf("; %d of latency 0 drawn at %g ms", zeros, z)
	}
	logY(p, lo, hi)
	for _, f := range pd.fs {
		for _, s := range outcomes {
			xys := series[key{f, s}]
			if len(xys) == 0 {
				continue
			}
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, legend, err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: outcomeColour[s], Radius: vg.Points(2), Shape: glyphs[pd.glyph[f]%len(glyphs)]}
			p.Add(sc)
			legend.Add(fmt.Sprintf("%s %s (%d)", f, s, seen[key{f, s}]), sc)
		}
	}
	return p, legend, nil
}

// window is the width in seconds of the windows that latency-quantiles.svg
// and rate.svg sum over: a second, or a round fraction of a run shorter
// than 20 s or longer than 200 s.
func (pd *plotData) window() float64 {
	switch {
	case pd.end < 20:
		return round125(pd.end / 20)
	case pd.end > 200:
		return round125(pd.end / 200)
	}
	return 1
}

// round125 rounds x > 0 up to 1, 2 or 5 times a power of ten.
func round125(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if x <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// windows is how many windows of width w cover the run: the last is
// between half and one and a half w wide.
func (pd *plotData) windows(w float64) int {
	return max(1, int(math.Round(pd.end/w)))
}

// span is where window b of n of width w starts, and how wide it is.
func (pd *plotData) span(b, n int, w float64) (start, width float64) {
	start = float64(b) * w
	if b == n-1 {
		return start, max(pd.end-start, w/2)
	}
	return start, w
}

func fmtWindow(w float64) string {
	return strconv.FormatFloat(w, 'g', -1, 64) + " s"
}

// latencyQuantiles is latency-quantiles.svg: per :f (shape) and quantile
// (colour), a line through the quantile of the latencies of the ok ops
// invoked in each window.
func (pd *plotData) latencyQuantiles() (*plot.Plot, plot.Legend, error) {
	w := pd.window()
	n := pd.windows(w)
	ok := 0
	byF := map[string][][]float64{} // per :f, per window, ok latencies
	for i := range pd.ops {
		op := &pd.ops[i]
		if op.Status != sim.OK {
			continue
		}
		ok++
		ws := byF[op.F]
		if ws == nil {
			ws = make([][]float64, n)
			byF[op.F] = ws
		}
		b := min(max(int(secs(op.Invoke)/w), 0), n-1)
		ws[b] = append(ws[b], latencyMS(op))
	}
	title := fmt.Sprintf("latency quantiles of %d ok operations, per %s of invocation", ok, fmtWindow(w))
	if ok == 0 {
		title = "no ok operations: no latency quantiles"
	}
	p, legend := pd.newPlot(title, "latency (ms)")
	lo, hi, zeros := math.Inf(1), math.Inf(-1), false
	type line struct {
		name string
		xys  plotter.XYs
		f    string
		q    int
	}
	var lines []line
	for _, f := range pd.fs {
		ws := byF[f]
		if ws == nil {
			continue
		}
		qs := make([]plotter.XYs, len(quantileColour))
		for b, lat := range ws {
			if len(lat) == 0 {
				continue
			}
			slices.Sort(lat)
			start, width := pd.span(b, n, w)
			x := start + width/2
			for i, qc := range quantileColour {
				v := lat[min(max(int(math.Ceil(qc.q*float64(len(lat))))-1, 0), len(lat)-1)]
				if v > 0 {
					lo = min(lo, v)
				} else {
					zeros = true
				}
				hi = max(hi, v)
				qs[i] = append(qs[i], plotter.XY{X: x, Y: v})
			}
		}
		for i, qc := range quantileColour {
			lines = append(lines, line{name: fmt.Sprintf("%s %g", f, qc.q), xys: qs[i], f: f, q: i})
		}
	}
	if zeros {
		z := zeroAt(lo)
		for _, l := range lines {
			for i := range l.xys {
				l.xys[i].Y = max(l.xys[i].Y, z)
			}
		}
		lo, hi = z, max(hi, z)
		p.Title.Text += fmt.Sprintf("; latency 0 drawn at %g ms", z)
	}
	logY(p, lo, hi)
	for _, l := range lines {
		ln, sc, err := plotter.NewLinePoints(l.xys)
		if err != nil {
			return nil, legend, err
		}
		qc := quantileColour[l.q]
		ln.LineStyle = draw.LineStyle{Color: qc.c, Width: vg.Points(1)}
		sc.GlyphStyle = draw.GlyphStyle{Color: qc.c, Radius: vg.Points(2), Shape: glyphs[pd.glyph[l.f]%len(glyphs)]}
		p.Add(ln, sc)
		legend.Add(l.name, ln, sc)
	}
	return p, legend, nil
}

// rate is rate.svg: per :f (dashes and shape) and outcome (colour), the
// ops completed per second in each window.
func (pd *plotData) rate() (*plot.Plot, plot.Legend, error) {
	w := pd.window()
	n := pd.windows(w)
	type key struct {
		f string
		s sim.Status
	}
	counts := map[key][]int{}
	for i := range pd.ops {
		op := &pd.ops[i]
		k := key{op.F, op.Status}
		c := counts[k]
		if c == nil {
			c = make([]int, n)
			counts[k] = c
		}
		c[min(max(int(secs(op.Complete)/w), 0), n-1)]++
	}
	p, legend := pd.newPlot(fmt.Sprintf("operations completed per second, per %s", fmtWindow(w)), "rate (ops/s)")
	p.Y.Min, p.Y.Max = 0, 1
	p.Y.Tick.Marker = roundTicks{}
	for _, f := range pd.fs {
		for _, s := range outcomes {
			c := counts[key{f, s}]
			if c == nil {
				continue
			}
			xys := make(plotter.XYs, 0, n)
			total := 0
			for b, k := range c {
				start, width := pd.span(b, n, w)
				r := float64(k) / width
				p.Y.Max = max(p.Y.Max, r)
				xys = append(xys, plotter.XY{X: start + width/2, Y: r})
				total += k
			}
			ln, sc, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, legend, err
			}
			i := pd.glyph[f]
			ln.LineStyle = draw.LineStyle{Color: outcomeColour[s], Width: vg.Points(1), Dashes: dashes[i%len(dashes)]}
			sc.GlyphStyle = draw.GlyphStyle{Color: outcomeColour[s], Radius: vg.Points(1.5), Shape: glyphs[i%len(glyphs)]}
			p.Add(ln, sc)
			legend.Add(fmt.Sprintf("%s %s (%d)", f, s, total), ln, sc)
		}
	}
	p.Y.Max *= 1.05
	return p, legend, nil
}

// drawSVG draws p with its legend on its right to w.
func drawSVG(w io.Writer, p *plot.Plot, legend plot.Legend) error {
	c := vgsvg.New(plotW, plotH)
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	legendW := vg.Length(0)
	if r := legend.Rectangle(dc); r.Size().X > 0 {
		legendW = r.Size().X + vg.Points(16)
	}
	p.Draw(draw.Crop(dc, 0, -legendW, 0, 0))
	if legendW > 0 {
		top := p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding + vg.Points(4)
		legend.Draw(draw.Crop(dc, plotW-legendW+vg.Points(8), 0, 0, -top))
	}
	_, err := c.WriteTo(w)
	return err
}

// roundTicks labels about six round values (1, 2 or 5 times a power of
// ten apart) with as many digits as they need, and marks a few between.
type roundTicks struct{}

// Ticks implements plot.Ticker.
func (roundTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 4, 64)}}
	}
	step := round125((hi - lo) / 6)
	minor := step / 5
	if m := step / math.Pow(10, math.Floor(math.Log10(step))); m > 1.5 && m < 2.5 {
		minor = step / 4
	}
	var ticks []plot.Tick
	for i := math.Ceil(lo / minor); i*minor <= hi*(1+1e-12); i++ {
		v := i * minor
		t := plot.Tick{Value: v}
		if k := math.Round(v / step); math.Abs(v-k*step) < minor/2 {
			t.Label = strconv.FormatFloat(k*step, 'f', -1, 64)
			if digits := -math.Floor(math.Log10(step)); digits > 0 {
				t.Label = strconv.FormatFloat(k*step, 'f', int(digits), 64)
			}
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// decadeTicks labels each power of ten of a log axis and marks 2 to 9
// times it.
type decadeTicks struct{}

// Ticks implements plot.Ticker.
func (decadeTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo) + 1e-9); e <= math.Ceil(math.Log10(hi)-1e-9); e++ {
		d := math.Pow(10, e)
		for m := 1.0; m < 10; m++ {
			v := m * d
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 {
				t.Label = strconv.FormatFloat(d, 'g', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// shade shades the partitions across the plot, behind the data.
type shade struct{ spans [][2]float64 }

var shadeColour = color.NRGBA{0xff, 0x44, 0xaa, 0x26}

// Plot implements plot.Plotter.
func (s shade) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	c.SetColor(shadeColour)
	for _, sp := range s.spans {
		x0 := max(trX(max(sp[0], p.X.Min)), c.Min.X)
		x1 := min(trX(min(sp[1], p.X.Max)), c.Max.X)
		if x1 <= x0 {
			continue
		}
		c.Fill(vg.Rectangle{Min: vg.Point{X: x0, Y: c.Min.Y}, Max: vg.Point{X: x1, Y: c.Max.Y}}.Path())
	}
}

// Thumbnail implements plot.Thumbnailer.
func (s shade) Thumbnail(c *draw.Canvas) {
	c.SetColor(shadeColour)
	c.Fill(c.Rectangle.Path())
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}
