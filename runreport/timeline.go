package runreport

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// DefaultBarWidth is the width, in terminal cells, of the duration bars
// WriteTimeline draws.
const DefaultBarWidth = 24

// pageSize is the largest timeline page the API serves.
const pageSize = 500

// Fetch reads the whole timeline of run runID: the run, every page of its
// events in one slice, and the summary of the whole run. HasMore and
// NextCursor of the result are always empty.
func Fetch(ctx context.Context, c *drip.Client, runID string) (*drip.Timeline, error) {
	tl, err := c.GetRunTimeline(ctx, runID, &drip.TimelineParams{Limit: pageSize})
	if err != nil {
		return nil, err
	}
	for page := tl; page.HasMore && page.NextCursor != ""; {
		page, err = c.GetRunTimeline(ctx, runID, &drip.TimelineParams{Limit: pageSize, Cursor: page.NextCursor})
		if err != nil {
			return nil, err
		}
		tl.Events = append(tl.Events, page.Events...)
	}
	tl.HasMore, tl.NextCursor = false, ""
	return tl, nil
}

// TimelineOptions tunes WriteTimeline.
type TimelineOptions struct {
	// BarWidth is the width of the duration bars (DefaultBarWidth when 0).
	BarWidth int
}

// WriteTimeline draws tl as a waterfall for a terminal: a header with the
// run's status, duration and cost, then one line per event with its
// offset from the run's start, a bar showing when it ran within the run,
// its duration, type (indented under its parent event, FAILED marked),
// model or tool name, quantity (tokens split in and out) and exact cost,
// then the run's totals per event type.
//
// An event's timestamp is taken as its start, as spans record it.
func WriteTimeline(w io.Writer, tl *drip.Timeline, o TimelineOptions) error {
	width := cmp.Or(o.BarWidth, DefaultBarWidth)
	ew := &errWriter{w: w}
	name := tl.WorkflowName
	if name == "" {
		name = tl.WorkflowID
	}
	fmt.Fprintf(ew, "run %s  %q  %s  %s", tl.RunID, name, tl.Status, Quantity(float64(tl.Summary.TotalEvents), "events"))
	if d := Duration(tl.Duration); d != "" {
		fmt.Fprintf(ew, "  %s", d)
	}
	fmt.Fprintf(ew, "  cost %s\n", Money(tl.Summary.TotalCostUnits))
	fmt.Fprintf(ew, "customer %s", tl.CustomerID)
	if !tl.StartedAt.IsZero() {
		fmt.Fprintf(ew, "  started %s", tl.StartedAt.UTC().Format(time.RFC3339))
	}
	fmt.Fprintln(ew)
	if tl.ErrorCode != "" || tl.ErrorMessage != "" {
		fmt.Fprintf(ew, "error %s: %s\n", tl.ErrorCode, tl.ErrorMessage)
	}
	if len(tl.Events) == 0 {
		fmt.Fprintln(ew, "no events recorded")
		return ew.err
	}

	start, span := window(tl)
	fmt.Fprintln(ew)
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OFFSET\tTIMELINE\tDURATION\tTYPE\tMODEL/NAME\tQUANTITY\tCOST")
	nodes := nest(tl.Events)
	for _, n := range nodes {
		e := n.e
		off := max(e.Timestamp.Sub(start), 0)
		typ := strings.Repeat("  ", n.depth) + e.Type
		if e.Outcome != "" && e.Outcome != "SUCCESS" {
			typ += " " + e.Outcome
		}
		cost := ""
		if e.CostUnits != nil {
			cost = Money(*e.CostUnits)
		}
		fmt.Fprintf(tw, "+%s\t%s\t%s\t%s\t%s\t%s\t%s\n", offset(off), bar(off, e.Duration, span, width),
			Duration(e.Duration), typ, Name(e.Metadata), Amount(e.Metadata), cost)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for l := range strings.Lines(table.String()) {
		fmt.Fprintln(ew, strings.TrimRight(l, " \n"))
	}
	fmt.Fprintln(ew)
	fmt.Fprintf(ew, "totals: %s; cost %s\n", totals(nodes), Money(tl.Summary.TotalCostUnits))
	return ew.err
}

// window is the time the bars cover: from the run's start (or its first
// event) to the latest of the run's end and its events' ends.
func window(tl *drip.Timeline) (start time.Time, span time.Duration) {
	start = tl.StartedAt
	end := tl.EndedAt
	for _, e := range tl.Events {
		if start.IsZero() || e.Timestamp.Before(start) {
			start = e.Timestamp
		}
		if t := e.Timestamp.Add(e.Duration); t.After(end) {
			end = t
		}
	}
	return start, end.Sub(start)
}

// bar draws the part of the run an event took, width cells wide: full
// blocks for the cells it covers, a thin mark for an event with no
// duration.
func bar(off, d, span time.Duration, width int) string {
	cells := []rune(strings.Repeat("·", width))
	if span <= 0 {
		cells[0] = '▏'
		return string(cells)
	}
	from := min(int(int64(off)*int64(width)/int64(span)), width-1)
	to := min(int((int64(off+d)*int64(width)+int64(span)-1)/int64(span)), width)
	if d <= 0 || to <= from {
		cells[from] = '▏'
		return string(cells)
	}
	for i := from; i < to; i++ {
		cells[i] = '█'
	}
	return string(cells)
}

// offset formats an offset from the run's start; unlike Duration it shows
// zero.
func offset(d time.Duration) string {
	if s := Duration(d); s != "" {
		return s
	}
	return "0s"
}

// node is an event and how deep it sits under its parents.
type node struct {
	e     drip.TimelineEvent
	depth int
}

// nest orders events as a tree: each event followed by its children (by
// parent event id), siblings by time. An event whose parent is not in the
// run is a root.
func nest(events []drip.TimelineEvent) []node {
	ids := make(map[string]bool, len(events))
	for _, e := range events {
		ids[e.ID] = true
	}
	children := map[string][]drip.TimelineEvent{}
	for _, e := range events {
		p := e.ParentEventID
		if p == e.ID || !ids[p] {
			p = ""
		}
		children[p] = append(children[p], e)
	}
	out := make([]node, 0, len(events))
	seen := make(map[string]bool, len(events))
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		kids := children[parent]
		slices.SortStableFunc(kids, func(a, b drip.TimelineEvent) int { return a.Timestamp.Compare(b.Timestamp) })
		for _, e := range kids {
			if seen[e.ID] { // a parent cycle; print each event once
				continue
			}
			seen[e.ID] = true
			out = append(out, node{e, depth})
			walk(e.ID, depth+1)
		}
	}
	walk("", 0)
	// Events caught in a parent cycle never hang from a root.
	for _, e := range events {
		if !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, node{e, 0})
		}
	}
	return out
}

// Name is what an event used, read from its metadata: the model of an
// LLM call, else the tool or step name.
func Name(metadata map[string]any) string {
	s, _ := metadata["model"].(string)
	if s == "" {
		s, _ = metadata["name"].(string)
	}
	return s
}

// Amount is an event's quantity in its unit, read from its metadata, with
// the input/output token split when the event carries one:
// "1500 tokens (1200 in, 300 out)", "1 call".
func Amount(metadata map[string]any) string {
	q, _ := metadata["quantity"].(float64)
	unit, _ := metadata["units"].(string)
	s := Quantity(q, unit)
	if in, ok := metadata["inputTokens"]; ok {
		s += fmt.Sprintf(" (%v in, %v out)", in, metadata["outputTokens"])
	}
	return s
}

// totals sums quantities per event type, each in its own unit: tokens and
// tool calls are never added up.
func totals(nodes []node) string {
	type total struct {
		typ, unit string
		q         float64
	}
	var order []*total
	byType := map[string]*total{}
	for _, n := range nodes {
		e := n.e
		q, _ := e.Metadata["quantity"].(float64)
		unit, _ := e.Metadata["units"].(string)
		t := byType[e.Type]
		if t == nil {
			t = &total{typ: e.Type, unit: unit}
			byType[e.Type] = t
			order = append(order, t)
		}
		t.q += q
	}
	parts := make([]string, 0, len(order))
	for _, t := range order {
		parts = append(parts, t.typ+" "+Quantity(t.q, t.unit))
	}
	return strings.Join(parts, ", ")
}

// Money formats an exact amount in US dollars with every digit it has and
// at least cents: "$0.00036", "$1.50", "-$2.00". LLM calls cost fractions
// of a cent, so nothing is rounded away.
func Money(d drip.Decimal) string {
	s := d.String()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	for len(frac) < 2 {
		frac += "0"
	}
	return sign + "$" + whole + "." + frac
}

// errWriter keeps the first write error so a report's many small writes
// need one check.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
