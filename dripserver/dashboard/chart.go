package dashboard

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
)

// Charts are drawn on the server as inline SVG: no script, no external
// library, and they print.

// chart is a stacked bar chart over time, ready for a template.
type chart struct {
	Title  string
	SVG    template.HTML
	Legend []legendItem
	Empty  bool
}

type legendItem struct {
	Name, Class, Total string
}

// maxSeries is how many keys a chart draws; the rest are summed as "other".
const maxSeries = 6

const (
	chartW, chartH = 800, 220
	padL, padR     = 64, 8
	padT, padB     = 8, 24
)

// stackedBars draws points in buckets of step over [from, to), one colour
// per key (the largest maxSeries keys, the rest as "other"). name turns a
// key into its legend label; val formats values.
func stackedBars(title string, points []dripserver.Point, from, to time.Time, step time.Duration,
	name func(string) string, val func(float64) string) chart {
	c := chart{Title: title}
	totals := map[string]float64{}
	for _, p := range points {
		totals[p.Key] += p.Value
	}
	if len(totals) == 0 {
		c.Empty = true
		return c
	}
	keys := make([]string, 0, len(totals))
	for k := range totals {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(totals[b], totals[a]), cmp.Compare(a, b)) })
	slot := map[string]int{}
	for i, k := range keys {
		slot[k] = min(i, maxSeries)
	}
	series := min(len(keys), maxSeries+1)
	names := make([]string, series)
	sums := make([]float64, series)
	for _, k := range keys {
		s := slot[k]
		sums[s] += totals[k]
		if s < maxSeries {
			names[s] = name(k)
		} else {
			names[s] = "other"
		}
	}

	n := max(int(to.Sub(from)/step), 1)
	stack := make([][]float64, n)
	for i := range stack {
		stack[i] = make([]float64, series)
	}
	for _, p := range points {
		i := int(p.At.Sub(from) / step)
		if i >= 0 && i < n {
			stack[i][slot[p.Key]] += p.Value
		}
	}
	top := 0.0
	for _, b := range stack {
		sum := 0.0
		for _, v := range b {
			sum += v
		}
		top = max(top, sum)
	}
	top = niceCeil(top)

	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s">`, chartW, chartH,
		template.HTMLEscapeString(title))
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		y := float64(padT) + plotH - plotH*float64(i)/4
		fmt.Fprintf(&s, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, padL, chartW-padR, y, y)
		fmt.Fprintf(&s, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%s</text>`, padL-6, y+4,
			template.HTMLEscapeString(val(v)))
	}
	bw := plotW / float64(n)
	layout := bucketLayout(step)
	every := max(n/6, 1)
	for i, b := range stack {
		x := float64(padL) + bw*float64(i)
		y := float64(padT) + plotH
		at := from.Add(time.Duration(i) * step)
		for k, v := range b {
			if v <= 0 {
				continue
			}
			h := plotH * v / top
			y -= h
			fmt.Fprintf(&s, `<rect class="c%d" x="%.2f" y="%.2f" width="%.2f" height="%.2f"><title>%s · %s: %s</title></rect>`,
				k, x+bw*0.1, y, bw*0.8, h, template.HTMLEscapeString(at.UTC().Format(layout)),
				template.HTMLEscapeString(names[k]), template.HTMLEscapeString(val(v)))
		}
		if i%every == 0 {
			fmt.Fprintf(&s, `<text class="axis" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x+bw/2, chartH-6,
				template.HTMLEscapeString(at.UTC().Format(layout)))
		}
	}
	s.WriteString(`</svg>`)
	c.SVG = template.HTML(s.String()) // every dynamic part above is escaped
	for i := range series {
		c.Legend = append(c.Legend, legendItem{Name: names[i], Class: fmt.Sprintf("c%d", i), Total: val(sums[i])})
	}
	return c
}

// bucketLayout is how an axis labels a bucket of step.
func bucketLayout(step time.Duration) string {
	if step >= 24*time.Hour {
		return "Jan 02"
	}
	return "Jan 02 15:04"
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, so axis labels
// read well.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// compactQty formats an axis value short: 1.2k, 3.4M.
func compactQty(v float64) string {
	switch {
	case v >= 1e9:
		return trimZero(v/1e9) + "B"
	case v >= 1e6:
		return trimZero(v/1e6) + "M"
	case v >= 1e3:
		return trimZero(v/1e3) + "k"
	}
	return trimZero(v)
}

func trimZero(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	return strings.TrimRight(strings.TrimRight(s, "0"), ".")
}
