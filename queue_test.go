package drip

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestQueueDeliversEveryItemOnce: producers race, one consumer takes; every
// pushed item comes out exactly once, in each producer's order.
func TestQueueDeliversEveryItemOnce(t *testing.T) {
	const producers, perProducer = 4, 20000
	q := newQueue(64, 8)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perProducer {
				it := item{ev: Event{Quantity: float64(i), Name: string(rune('a' + p))}}
				if r, err := q.pushWait(context.Background(), &it, stop); r != pushed || err != nil {
					t.Errorf("push: %v %v", r, err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	next := map[string]float64{}
	got := 0
	for got < producers*perProducer {
		select {
		case <-q.wake:
		case <-time.After(10 * time.Millisecond):
		}
		items := q.take()
		for _, it := range items {
			if it.ev.Quantity != next[it.ev.Name] {
				t.Fatalf("producer %s: got %v, want %v", it.ev.Name, it.ev.Quantity, next[it.ev.Name])
			}
			next[it.ev.Name]++
			got++
		}
		q.recycle(items)
	}
	<-done
	if q.len() != 0 {
		t.Fatalf("len %d after draining", q.len())
	}
}

func TestQueueFullAndClosed(t *testing.T) {
	q := newQueue(4, 2)
	it := item{}
	for range 4 {
		if q.push(&it) != pushed {
			t.Fatal("push into a queue with room")
		}
	}
	if q.push(&it) != pushFull {
		t.Fatal("push into a full queue")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if r, err := q.pushWait(ctx, &it, nil); r != pushFull || err == nil {
		t.Fatalf("pushWait on a full queue: %v %v", r, err)
	}
	var woke atomic.Bool
	go func() {
		r, _ := q.pushWait(context.Background(), &it, nil)
		woke.Store(r == pushed)
	}()
	time.Sleep(10 * time.Millisecond)
	if n := len(q.take()); n != 4 {
		t.Fatalf("took %d", n)
	}
	deadline := time.Now().Add(2 * time.Second)
	for !woke.Load() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !woke.Load() {
		t.Fatal("a blocked producer was not woken when room freed")
	}
	q.close()
	if q.push(&it) != pushClosed {
		t.Fatal("push after close")
	}
	if n := len(q.take()); n != 1 {
		t.Fatalf("drained %d, want the 1 item pushed before close", n)
	}
}
