// Package abbench compares two ways of making the same call inside one Go
// benchmark: A (the raw SDK call) and B (the same call metered), in
// alternating blocks, so both see the same machine load.
//
// A benchmark run one after another (raw, then metered) on shared cores
// measures the load drift between the two as much as the meter: on a
// 2-core VM two back-to-back runs of the same raw call differ by 10–30%.
// Alternating blocks of a few milliseconds removes the drift; taking the
// median of the per-pair ratios, instead of the ratio of the totals,
// removes the blocks a garbage collection, a flush or another process
// happened to hit, which land on one side of a pair only.
package abbench

import (
	"slices"
	"testing"
	"time"
)

// Block is how many calls of one kind run back to back unless
// Options.Block says otherwise: short blocks (well under a millisecond for
// a 50 µs call) let both sides see the same load, and give many pairs for
// the median.
const Block = 4

// Options tune Run.
type Options struct {
	// Between, when set, runs outside the timing every Every pairs of
	// blocks (for example a tracker flush, so deliveries do not compete
	// with the calls).
	Between func()
	Every   int
	// A and B name the sides in the reported metrics (default "a", "b").
	A, B string
	// Block overrides the package's Block: 1 suits calls of a millisecond
	// or more.
	Block int
}

// Run times a and b alternately, a block of calls at a time, and reports:
//   - "b/a": the median, over pairs of blocks, of b's time over a's (the
//     figure a budget such as "metered ≤ 1.05× raw" is read from);
//   - "a-ns/call" and "b-ns/call": each side's median block time per call;
//   - "added-ns/call": the median per-call difference, b's own cost.
//
// With Options.A and B set to "raw" and "metered" the first reads
// "metered/raw".
//
// b.N counts pairs of calls, so ns/op is one a plus one b call. Which side
// goes first alternates from pair to pair, and from one Between to the
// next.
func Run(tb *testing.B, a, b func() error, o Options) {
	fns := [2]func() error{a, b}
	block := Block
	if o.Block > 0 {
		block = o.Block
	}
	pairs := tb.N/block + 1
	ratios := make([]float64, 0, pairs)
	per := [2][]float64{make([]float64, 0, pairs), make([]float64, 0, pairs)}
	diffs := make([]float64, 0, pairs)
	tb.ReportAllocs()
	tb.ResetTimer()
	// first is the side that goes first in a pair: it alternates from
	// pair to pair, and the first pair after each Between starts with the
	// other side than after the last one, whatever Every is (else one side
	// would always meet what Between left, a collection say).
	first, betweens := 0, 0
	for p := 0; p*block < tb.N; p, first = p+1, first^1 {
		if o.Between != nil && o.Every > 0 && p > 0 && p%o.Every == 0 {
			tb.StopTimer()
			o.Between()
			tb.StartTimer()
			betweens++
			first = betweens & 1
		}
		n := min(block, tb.N-p*block)
		var d [2]time.Duration
		for j := range 2 {
			k := j ^ first
			start := time.Now()
			for range n {
				if err := fns[k](); err != nil {
					tb.Fatal(err)
				}
			}
			d[k] = time.Since(start)
		}
		ratios = append(ratios, float64(d[1])/float64(d[0]))
		per[0] = append(per[0], float64(d[0])/float64(n))
		per[1] = append(per[1], float64(d[1])/float64(n))
		diffs = append(diffs, float64(d[1]-d[0])/float64(n))
	}
	tb.StopTimer()
	if o.Between != nil {
		o.Between()
	}
	na, nb := o.A, o.B
	if na == "" || nb == "" {
		na, nb = "a", "b"
	}
	tb.ReportMetric(median(ratios), nb+"/"+na)
	tb.ReportMetric(median(per[0]), na+"-ns/call")
	tb.ReportMetric(median(per[1]), nb+"-ns/call")
	tb.ReportMetric(median(diffs), "added-ns/call")
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}
