package abbench

import (
	"bytes"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{1, 100, 2, 3, 1000}, 3}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// Run must time both sides as many times as b.N says, run Between outside
// them, and report its figures under the names given.
func TestRunReports(t *testing.T) {
	var a, b, between int
	res := testing.Benchmark(func(tb *testing.B) {
		a, b, between = 0, 0, 0
		// Calls of some microseconds keep b.N, and the test, small.
		Run(tb, func() error { a++; time.Sleep(20 * time.Microsecond); return nil },
			func() error { b++; time.Sleep(20 * time.Microsecond); return nil },
			Options{Between: func() { between++ }, Every: 2, A: "raw", B: "metered"})
		if a != tb.N || b != tb.N {
			t.Errorf("b.N %d: %d raw and %d metered calls", tb.N, a, b)
		}
	})
	if between == 0 {
		t.Error("Between never ran")
	}
	for _, k := range []string{"metered/raw", "raw-ns/call", "metered-ns/call", "added-ns/call"} {
		if _, ok := res.Extra[k]; !ok {
			t.Errorf("no %q in %v", k, res.Extra)
		}
	}
}

// Whichever Every is, the side that goes first after a Between must
// change from one Between to the next, and from pair to pair between them.
func TestRunAlternatesAfterBetween(t *testing.T) {
	for _, every := range []int{2, 3} {
		var log []byte // 'a', 'b', or '|' for a Between
		testing.Benchmark(func(tb *testing.B) {
			log = log[:0]
			// Calls of some microseconds keep b.N, and the test, small.
			Run(tb, func() error { log = append(log, 'a'); time.Sleep(20 * time.Microsecond); return nil },
				func() error { log = append(log, 'b'); time.Sleep(20 * time.Microsecond); return nil },
				Options{Between: func() { log = append(log, '|') }, Every: every, Block: 1})
		})
		var afterBetween []byte
		for i, c := range log {
			if c == '|' && i+1 < len(log) {
				afterBetween = append(afterBetween, log[i+1])
			}
		}
		if len(afterBetween) < 4 {
			t.Fatalf("Every %d: %d Betweens in %q", every, len(afterBetween), log)
		}
		for i := 1; i < len(afterBetween); i++ {
			if afterBetween[i] == afterBetween[i-1] {
				t.Fatalf("Every %d: %c went first after two Betweens in a row: %q", every, afterBetween[i], afterBetween)
			}
		}
		// Within a stretch, pairs alternate: ab then ba, or ba then ab.
		for _, stretch := range bytes.Split(log, []byte("|")) {
			for i := 2; i+1 < len(stretch); i += 2 {
				if stretch[i] == stretch[i-2] {
					t.Fatalf("Every %d: %q does not alternate", every, stretch)
				}
			}
		}
	}
}
