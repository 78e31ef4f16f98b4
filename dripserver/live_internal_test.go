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

	done := make(chan struct{})
	got := 0
	go func() {
		defer close(done)
		for range fast {
			got++
			if got == liveBuffer+10 {
				return
			}
		}
	}()
	for range liveBuffer + 10 {
		b.publish(LiveRunEvent, map[string]int{"n": 1})
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the reading subscriber got %d messages", got)
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
