package store

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/glomers/glomers/sim"
)

// MaxDiagramMessages caps the messages a Lamport diagram draws: past a few
// thousand arrows a browser takes too long to draw the picture.
const MaxDiagramMessages = 2500

// Sizes of the diagram, in pixels.
const (
	laneW   = 120 // between lanes
	rowH    = 14  // between events
	marginL = 90  // the time axis
	marginT = 70  // lane names, and the note when capped
	marginB = 40
)

// diagramMsg is a journaled message as the diagram draws it.
type diagramMsg struct {
	Message
	index int // position in the journal: the order of delivery
	send  int // rows of its send and delivery
	recv  int
}

// WriteSVG draws a Lamport diagram of a message journal (messages.jsonl)
// to w: a lane per node, service and client, and for each message an
// arrow from its sender's lane when it was sent to its receiver's when it
// arrived, labelled with its body's type; a message a partition dropped is
// drawn dashed and red and ends in a cross, one still in flight at the end
// dashed and grey; partitions are shaded from their start to their heal.
// Events go down the picture in the order of virtual time, one row each
// (a message's send before its delivery, a delivery before what its
// receiver sent in the same instant), with the time on the left. Only the
// first max messages delivered are drawn, with a note saying so.
func WriteSVG(w io.Writer, journal io.Reader, nemesis []sim.NemesisEvent, max int) error {
	msgs, total, err := readJournal(journal, max)
	if err != nil {
		return err
	}
	lanes := laneOrder(msgs)
	x := make(map[string]float64, len(lanes))
	for i, id := range lanes {
		x[id] = marginL + laneW/2 + float64(i*laneW)
	}

	// Rows: a send sorts by its time and then twice its journal index, a
	// delivery by its time and twice its index plus one, so that within
	// one instant a message arrives after it is sent and before what was
	// sent in answer to it (which was journaled after it).
	type ev struct {
		at  float64
		key int
		m   *diagramMsg
	}
	evs := make([]ev, 0, 2*len(msgs))
	for i := range msgs {
		m := &msgs[i]
		evs = append(evs, ev{m.SentMS, 2 * m.index, m})
		if m.RecvMS != nil {
			evs = append(evs, ev{*m.RecvMS, 2*m.index + 1, m})
		}
	}
	slices.SortFunc(evs, func(a, b ev) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.key, b.key)
	})
	for r, e := range evs {
		if e.key%2 == 0 {
			e.m.send = r
		} else {
			e.m.recv = r
		}
	}
	rows := len(evs) + 1
	y := func(row int) float64 { return marginT + float64(row*rowH) }
	// rowAt is the first row at or after a virtual time.
	rowAt := func(at float64) int {
		i, _ := slices.BinarySearchFunc(evs, at, func(e ev, t float64) int { return cmp.Compare(e.at, t) })
		return i
	}
	width := marginL + len(lanes)*laneW + 20
	height := int(y(rows)) + marginB

	b := bufio.NewWriter(w)
	fmt.Fprintf(b, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="10">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>
<style>.msg line{stroke-width:1.2} .msg text{font-size:9px} .lane{stroke:#ccc} .t{fill:#888;font-size:9px} .drop{stroke:#d22;stroke-dasharray:4 3} .flight{stroke:#999;stroke-dasharray:2 3}</style>
<rect width="100%%" height="100%%" fill="white"/>
`, width, height, width, height)

	// The note, when capped.
	note := fmt.Sprintf("%d messages", total)
	if len(msgs) < total {
		last := 0.0
		if len(evs) > 0 {
			last = evs[len(evs)-1].at
		}
		note = fmt.Sprintf("Only the first %d of %d messages (delivered up to %s) are drawn: a browser cannot draw them all. Every message is in messages.jsonl.", len(msgs), total, fmtMS(last))
	}
	fmt.Fprintf(b, `<text class="note" x="10" y="18" font-size="12" fill="%s">%s</text>`+"\n", map[bool]string{true: "#b00", false: "#444"}[len(msgs) < total], esc(note))

	// Partitions, shaded from start to heal across the servers' lanes.
	for i, e := range nemesis {
		if e.Action != "partition" {
			continue
		}
		end := rows
		for _, h := range nemesis[i+1:] {
			if h.Action == "heal" {
				end = rowAt(h.At * 1000)
				break
			}
		}
		start := rowAt(e.At * 1000)
		if start >= rows-1 || end <= start {
			continue
		}
		fmt.Fprintf(b, `<g class="partition"><rect x="%d" y="%.0f" width="%d" height="%.0f" fill="#f4a" fill-opacity="0.12"/><text x="%d" y="%.0f" fill="#a04">partition %s at %s</text></g>`+"\n",
			marginL, y(start), len(lanes)*laneW, y(end)-y(start), marginL+4, y(start)+11, esc(e.Shape), fmtMS(e.At*1000))
	}

	// Lanes.
	for _, id := range lanes {
		fmt.Fprintf(b, `<line class="lane" x1="%.0f" y1="%d" x2="%.0f" y2="%.0f"/><text x="%.0f" y="%d" text-anchor="middle" font-weight="bold" font-size="12">%s</text>`+"\n",
			x[id], marginT-12, x[id], y(rows), x[id], marginT-18, esc(id))
	}
	// The time axis: a label where time moves on, at most every 4 rows.
	lastRow, lastAt := -10, math.NaN()
	for r, e := range evs {
		if e.at != lastAt && r-lastRow >= 4 {
			fmt.Fprintf(b, `<text class="t" x="%d" y="%.0f" text-anchor="end">%s</text>`+"\n", marginL-8, y(r)+3, fmtMS(e.at))
			lastRow, lastAt = r, e.at
		}
	}

	// Messages.
	for i := range msgs {
		m := &msgs[i]
		x1, y1 := x[m.Src], y(m.send)
		x2, y2 := x[m.Dest], y(rows)
		class, colour := "", typeColour(m.Type)
		switch {
		case m.RecvMS == nil:
			class, colour = "flight", "#999"
		case m.Dropped:
			class, colour = "drop", "#d22"
			y2 = y(m.recv)
			x2 = x1 + (x2-x1)*0.85 // lost on the way
		default:
			y2 = y(m.recv)
		}
		title := fmt.Sprintf("%s → %s %s", m.Src, m.Dest, m.Type)
		if m.MsgID != 0 {
			title += " msg_id " + strconv.FormatInt(m.MsgID, 10)
		}
		if m.InReplyTo != 0 {
			title += " in_reply_to " + strconv.FormatInt(m.InReplyTo, 10)
		}
		title += ", sent " + fmtMS(m.SentMS)
		switch {
		case m.RecvMS == nil:
			title += ", still in flight at the end"
		case m.Dropped:
			title += ", dropped by a partition at " + fmtMS(*m.RecvMS)
		default:
			title += ", delivered " + fmtMS(*m.RecvMS)
		}
		fmt.Fprintf(b, `<g class="msg"><title>%s</title><line class="%s" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"`, esc(title), class, x1, y1, x2, y2, colour)
		if m.Dropped {
			fmt.Fprintf(b, `/><path d="M%.1f,%.1f l6,6 m0,-6 l-6,6" stroke="#d22" stroke-width="1.5"/>`, x2-3, y2-3)
		} else {
			fmt.Fprint(b, ` marker-end="url(#arrow)"/>`)
		}
		// The label, along the arrow and upright.
		ang := math.Atan2(y2-y1, x2-x1) * 180 / math.Pi
		if ang > 90 || ang < -90 {
			ang += 180
		}
		mx, my := (x1+x2)/2, (y1+y2)/2
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s" transform="rotate(%.1f %.1f %.1f)">%s</text></g>`+"\n",
			mx, my-2, colour, ang, mx, my, esc(truncate(m.Type, 24)))
	}
	fmt.Fprintln(b, `</svg>`)
	return b.Flush()
}

// readJournal reads the first max messages of a journal and counts all.
func readJournal(r io.Reader, max int) (msgs []diagramMsg, total int, err error) {
	br := bufio.NewReaderSize(r, 1<<16)
	for {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			if total < max {
				var m Message
				if err := json.Unmarshal(line, &m); err != nil {
					return nil, 0, fmt.Errorf("%s line %d: %w", MessagesFile, total+1, err)
				}
				m.Body = nil // not drawn
				msgs = append(msgs, diagramMsg{Message: m, index: total})
			}
			total++
		}
		if err == io.EOF {
			return msgs, total, nil
		}
		if err != nil {
			return nil, 0, err
		}
	}
}

var numbered = regexp.MustCompile(`^([a-z]+)(\d+)$`)

// laneOrder lists the parties of msgs: servers n0, n1, …, then services,
// then clients c0, c1, …
func laneOrder(msgs []diagramMsg) []string {
	seen := map[string]bool{}
	var ids []string
	for _, m := range msgs {
		for _, id := range []string{m.Src, m.Dest} {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	rank := func(id string) (int, string, int) {
		if p := numbered.FindStringSubmatch(id); p != nil && (p[1] == "n" || p[1] == "c") {
			n, _ := strconv.Atoi(p[2])
			if p[1] == "n" {
				return 0, "", n
			}
			return 2, "", n
		}
		return 1, id, 0
	}
	slices.SortFunc(ids, func(a, b string) int {
		ga, sa, na := rank(a)
		gb, sb, nb := rank(b)
		return cmp.Or(cmp.Compare(ga, gb), cmp.Compare(sa, sb), cmp.Compare(na, nb))
	})
	return ids
}

// typeColour colours a message by its body's type: errors red, replies
// blue, requests dark grey.
func typeColour(typ string) string {
	switch {
	case typ == "error":
		return "#c22"
	case strings.HasSuffix(typ, "_ok"):
		return "#1764ab"
	}
	return "#333"
}

func fmtMS(ms float64) string {
	if ms >= 10000 {
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
	}
	return strconv.FormatFloat(ms, 'f', -1, 64) + " ms"
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// esc escapes text for XML.
func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// DiagramArrows reads a Lamport diagram as XML, which it must be, and
// counts its messages' arrows.
func DiagramArrows(r io.Reader) (int, error) {
	dec := xml.NewDecoder(r)
	n := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "g" {
			for _, a := range el.Attr {
				if a.Name.Local == "class" && a.Value == "msg" {
					n++
				}
			}
		}
	}
}
