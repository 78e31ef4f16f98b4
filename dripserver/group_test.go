package dripserver

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestGroupCommit queues writes behind a slow one so that they commit in
// groups, with some of them failing (after writing) or panicking, and some
// cancelled before their turn: each must end as if it had run alone.
func TestGroupCommit(t *testing.T) {
	t.Run("file", func(t *testing.T) { testGroupCommit(t, filepath.Join(t.TempDir(), "group.db")) })
	t.Run("memory", func(t *testing.T) { testGroupCommit(t, ":memory:") })
}

func testGroupCommit(t *testing.T, path string) {
	st, _ := testService(t, path, nil)
	ctx := context.Background()
	errBoom := errors.New("boom")
	insert := func(t *txn, ext string) error {
		return t.insertCustomer(Customer{ID: newID(prefixCustomer), ExternalCustomerID: ext, Status: "ACTIVE",
			CreatedAt: time.Now(), UpdatedAt: time.Now()})
	}

	const n = 40
	errs := make([]error, n)
	started := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // holds the writer while the others line up
		defer wg.Done()
		_ = st.update(ctx, func(t *txn) error {
			close(started)
			time.Sleep(100 * time.Millisecond)
			return insert(t, "slow")
		})
	}()
	<-started
	cancelled, cancel := context.WithCancel(ctx)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := ctx
			if i%10 == 9 {
				c = cancelled
			}
			errs[i] = st.update(c, func(t *txn) error {
				if err := insert(t, fmt.Sprint("c", i)); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return errBoom // after writing: the write must go
				case 6:
					panic("bug")
				}
				return nil
			})
		}()
	}
	time.Sleep(50 * time.Millisecond) // all lined up behind the slow write
	cancel()
	wg.Wait()

	if got := st.wq.grouped.Load(); got < 2 {
		t.Fatalf("%d updates committed in groups, want most of %d", got, n)
	}
	cs, err := st.Customers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, c := range cs {
		stored[c.ExternalCustomerID] = true
	}
	for i := range n {
		ext := fmt.Sprint("c", i)
		switch i % 10 {
		case 3:
			if !errors.Is(errs[i], errBoom) || stored[ext] {
				t.Errorf("update %d: err %v, stored %v; want errBoom and nothing stored", i, errs[i], stored[ext])
			}
		case 6:
			if errs[i] == nil || stored[ext] {
				t.Errorf("update %d (panicked): err %v, stored %v", i, errs[i], stored[ext])
			}
		case 9:
			if !errors.Is(errs[i], context.Canceled) || stored[ext] {
				t.Errorf("update %d (cancelled): err %v, stored %v", i, errs[i], stored[ext])
			}
		default:
			if errs[i] != nil || !stored[ext] {
				t.Errorf("update %d: err %v, stored %v; want committed", i, errs[i], stored[ext])
			}
		}
	}
	if !stored["slow"] || len(cs) != 1+n*7/10 {
		t.Errorf("stored %d customers, want %d", len(cs), 1+n*7/10)
	}
	// The queue is empty and idle again: a new write runs at once.
	if err := st.update(ctx, func(t *txn) error { return insert(t, "after") }); err != nil {
		t.Fatal(err)
	}
	st.wq.mu.Lock()
	defer st.wq.mu.Unlock()
	if st.wq.busy || len(st.wq.ops) != 0 {
		t.Errorf("writer left busy=%v with %d queued", st.wq.busy, len(st.wq.ops))
	}
}
