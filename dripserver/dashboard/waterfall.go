package dashboard

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
)

// waterfallRow is one event of a run's timeline as the run page draws it:
// a bar from its start, as long as it took, indented under its parent.
type waterfallRow struct {
	Event                     dripserver.Event
	Depth                     int
	Model, Name               string
	InputTokens, OutputTokens int64
	HasTokens                 bool
	Cost                      float64
	Failed                    bool
	Offset                    time.Duration // from the start of the run
	Duration                  time.Duration // 0 when the event carried none
	HasDuration               bool
	// X and W place the bar on a 0–1000 scale of the run's span.
	X, W float64
}

// waterfall lays out a run's events. A parentEventId names the parent
// event by id or, as the tracker and the OTel bridge send it, by span id.
// Children follow their parent in time order; a loop of parents is cut
// where it would repeat.
func waterfall(run dripserver.Run, events []dripserver.Event) (rows []waterfallRow, span time.Duration) {
	start := run.StartedAt
	end := run.EndedAt
	for _, e := range events {
		if e.Timestamp.Before(start) {
			start = e.Timestamp
		}
		if t := e.Timestamp.Add(eventDuration(e)); t.After(end) {
			end = t
		}
	}
	span = max(end.Sub(start), time.Millisecond)

	byID := make(map[string]int, len(events))
	bySpan := map[string]int{}
	for i, e := range events {
		byID[e.ID] = i
		if e.SpanID != "" {
			if _, dup := bySpan[e.SpanID]; !dup {
				bySpan[e.SpanID] = i
			}
		}
	}
	parent := make([]int, len(events))
	children := make([][]int, len(events))
	var roots []int
	for i, e := range events {
		parent[i] = -1
		if e.ParentEventID != "" {
			p, ok := byID[e.ParentEventID]
			if !ok {
				p, ok = bySpan[e.ParentEventID]
			}
			if ok && p != i && !ancestor(parent, p, i) {
				parent[i] = p
			}
		}
	}
	for i := range events {
		if parent[i] < 0 {
			roots = append(roots, i)
		} else {
			children[parent[i]] = append(children[parent[i]], i)
		}
	}
	// events are in timeline order already; keep it stable per level.
	order := func(a, b int) int { return cmp.Or(events[a].Timestamp.Compare(events[b].Timestamp), cmp.Compare(a, b)) }
	slices.SortFunc(roots, order)
	var walk func(i, depth int)
	walk = func(i, depth int) {
		rows = append(rows, newRow(events[i], depth, start, span))
		slices.SortFunc(children[i], order)
		for _, c := range children[i] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return rows, span
}

// ancestor reports whether a is p or one of p's ancestors under the links
// made so far.
func ancestor(parent []int, p, a int) bool {
	for seen := 0; p >= 0 && seen <= len(parent); seen++ {
		if p == a {
			return true
		}
		p = parent[p]
	}
	return false
}

func eventDuration(e dripserver.Event) time.Duration {
	if e.DurationMs == nil {
		return 0
	}
	return time.Duration(*e.DurationMs) * time.Millisecond
}

func newRow(e dripserver.Event, depth int, start time.Time, span time.Duration) waterfallRow {
	r := waterfallRow{Event: e, Depth: min(depth, 8), Failed: e.Outcome == dripserver.OutcomeFailed}
	r.Model, _ = e.Metadata["model"].(string)
	r.Name, _ = e.Metadata["name"].(string)
	r.InputTokens, r.HasTokens = metaInt(e.Metadata, "inputTokens")
	var ok bool
	if r.OutputTokens, ok = metaInt(e.Metadata, "outputTokens"); ok {
		r.HasTokens = true
	}
	if e.CostUnits != nil {
		r.Cost = *e.CostUnits
	}
	r.Offset = e.Timestamp.Sub(start)
	r.Duration, r.HasDuration = eventDuration(e), e.DurationMs != nil
	r.X = 1000 * float64(r.Offset) / float64(span)
	r.W = max(1000*float64(r.Duration)/float64(span), 3)
	if r.X+r.W > 1000 {
		r.X = max(1000-r.W, 0)
	}
	return r
}

// metaInt reads a count from decoded JSON metadata.
func metaInt(m map[string]any, k string) (int64, bool) {
	switch v := m[k].(type) {
	case float64:
		return int64(v), true
	case int64:
		return v, true
	case int:
		return int64(v), true
	}
	return 0, false
}

// Kind is the bar's colour class: errors first, then LLM calls, tool calls
// and the rest.
func (r waterfallRow) Kind() string {
	switch t := r.Event.EventType; {
	case r.Failed:
		return "err"
	case strings.HasPrefix(t, "llm."):
		return "llm"
	case strings.HasPrefix(t, "tool."):
		return "tool"
	}
	return "other"
}
