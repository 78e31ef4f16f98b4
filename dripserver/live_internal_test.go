package dripserver

import (
	"testing"
	"time"
)

// A subscriber that stops reading is dropped; publishing never waits for it.
func TestBroadcasterDropsSlowSubscriber(t *testing.T) {
	var b broadcaster
	slow, cancelSlow := b.subscribe()
	defer cancelSlow()
	fast, cancelFast := b.subscribe()
	defer cancelFast()

	// Fill both buffers, let the fast one catch up, then overflow only the
	// slow one: in steps, so the fast reader never falls behind by chance.
	for range liveBuffer {
		b.publish(LiveRunEvent, map[string]int{"n": 1})
	}
	for range liveBuffer {
		<-fast
	}
	for range 10 {
		b.publish(LiveRunEvent, map[string]int{"n": 1})
	}
	for i := range 10 {
		select {
		case <-fast:
		case <-time.After(10 * time.Second):
			t.Fatalf("the reading subscriber got only %d of the last 10 messages", i)
		}
	}
	n := 0
	for range slow { // closed once dropped, after its buffer
		n++
	}
	if n != liveBuffer {
		t.Fatalf("slow subscriber got %d buffered messages before being dropped, want %d", n, liveBuffer)
	}
	if b.n.Load() != 1 {
		t.Fatalf("subscribers = %d, want 1 (the slow one dropped)", b.n.Load())
	}
}
