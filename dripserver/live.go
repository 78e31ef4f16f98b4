package dripserver

import (
	"encoding/json"
	"sync"
	"sync/atomic"
)

// Kinds of LiveEvent, also the SSE event names of GET /v1/dev/stream.
const (
	LiveRunStarted    = "run.started"    // data: the run as GET /runs/{id} returns it
	LiveRunEnded      = "run.ended"      // data: the same
	LiveRunEvent      = "run.event"      // data: the event as the timeline returns it, plus runId
	LiveUsageRecorded = "usage.recorded" // data: usageEventId, customerId, usageType, quantity, chargeId, createdAt
)

// LiveEvent is one message of dripd's live stream: something that was just
// committed.
type LiveEvent struct {
	Kind string
	// Data is one line of JSON.
	Data json.RawMessage
}

// liveBuffer is how many messages a subscriber may fall behind before it is
// dropped: a slow reader must never hold up a writer.
const liveBuffer = 512

// broadcaster fans committed writes out to live subscribers. Publishing
// never blocks: a subscriber whose buffer is full is dropped (its channel
// closed), and the stream it serves ends.
type broadcaster struct {
	n      atomic.Int32 // subscribers, read without the lock on every write
	mu     sync.Mutex
	subs   map[chan LiveEvent]struct{}
	closed bool
}

// active reports whether anyone listens, so writers skip building messages
// nobody reads.
func (b *broadcaster) active() bool { return b.n.Load() > 0 }

func (b *broadcaster) subscribe() (<-chan LiveEvent, func()) {
	ch := make(chan LiveEvent, liveBuffer)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(ch)
		return ch, func() {}
	}
	if b.subs == nil {
		b.subs = map[chan LiveEvent]struct{}{}
	}
	b.subs[ch] = struct{}{}
	b.n.Add(1)
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.remove(ch)
	}
}

// remove closes and forgets ch; b.mu is held.
func (b *broadcaster) remove(ch chan LiveEvent) {
	if _, ok := b.subs[ch]; ok {
		delete(b.subs, ch)
		close(ch)
		b.n.Add(-1)
	}
}

// publish sends one message to every subscriber. v is encoded once.
func (b *broadcaster) publish(kind string, v any) {
	if !b.active() {
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		return // only non-finite floats, which decoding never lets in
	}
	ev := LiveEvent{Kind: kind, Data: data}
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- ev:
		default:
			b.remove(ch)
		}
	}
}

// close ends every subscription and refuses new ones: streams are
// long-lived requests that would otherwise hold a graceful shutdown until
// its deadline.
func (b *broadcaster) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for ch := range b.subs {
		b.remove(ch)
	}
}

// Subscribe returns a channel of what dripd commits from now on (runs
// started and ended, run events, usage), for a live view. The channel is
// closed when cancel is called, when the subscriber fell too far behind
// (it is dropped rather than slow down writers) or when the server shuts
// down. Always call cancel.
func (s *Server) Subscribe() (events <-chan LiveEvent, cancel func()) {
	return s.svc.live.subscribe()
}
