package drip

import (
	"errors"
	"testing"
)

func TestOffsetPages(t *testing.T) {
	items := make([]int, 250)
	for i := range items {
		items[i] = i
	}
	var calls [][2]int
	fetch := func(total int) func(limit, offset int) ([]int, int, error) {
		return func(limit, offset int) ([]int, int, error) {
			calls = append(calls, [2]int{limit, offset})
			end := min(offset+limit, len(items))
			return items[offset:end], total, nil
		}
	}
	got := 0
	for v, err := range offsetPages(0, 0, fetch(-1)) {
		if err != nil || v != got {
			t.Fatalf("item %d = %d, %v", got, v, err)
		}
		got++
	}
	if got != 250 || len(calls) != 3 || calls[2] != [2]int{100, 200} {
		t.Fatalf("%d items in calls %v", got, calls)
	}

	// A reported total stops without asking for an empty page.
	calls, got = nil, 0
	items = items[:200]
	for range offsetPages(50, 100, fetch(200)) {
		got++
	}
	if got != 100 || len(calls) != 2 {
		t.Fatalf("%d items in calls %v", got, calls)
	}

	// The first error is yielded and ends the walk; so does the caller.
	boom := errors.New("boom")
	n := 0
	for _, err := range offsetPages(10, 0, func(int, int) ([]int, int, error) { return nil, 0, boom }) {
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		n++
	}
	calls = nil
	for range offsetPages(10, 0, fetch(-1)) {
		break
	}
	if n != 1 || len(calls) != 1 {
		t.Fatalf("errors yielded %d, calls after break %v", n, calls)
	}
}

func TestListPath(t *testing.T) {
	p, err := listPath("X", "/charges", 5, 10, "customerId", "cu 1", "status", "")
	if err != nil || p != "/charges?customerId=cu+1&limit=5&offset=10" {
		t.Fatalf("path %q, %v", p, err)
	}
	if p, _ := listPath("X", "/charges", 0, 0); p != "/charges" {
		t.Fatalf("bare path %q", p)
	}
	for _, c := range []struct {
		limit, offset int
		field         string
	}{{101, 0, "limit"}, {-1, 0, "limit"}, {10, -1, "offset"}} {
		_, err := listPath("X", "/charges", c.limit, c.offset)
		if e, ok := AsError(err); !ok || e.Field != c.field {
			t.Errorf("limit %d offset %d: %v", c.limit, c.offset, err)
		}
	}
}
