package drip

import (
	"context"
	"math/bits"
	"runtime"
	"sync/atomic"
)

// queue is the tracker's bounded hand-off between callers and the exporter:
// a lock-free multi-producer, single-consumer ring (Vyukov's bounded queue).
// A producer pays one CAS and one copy; the exporter is woken only when the
// queue turns non-empty or a batch is full, never once per item.
type queue struct {
	slots []slot
	mask  uint64
	batch uint64

	_    [56]byte // keep tail on its own cache line
	tail atomic.Uint64
	_    [56]byte
	head atomic.Uint64 // written by the exporter only

	wake  chan struct{}                 // capacity 1: tells the exporter to look
	space atomic.Pointer[chan struct{}] // closed when room frees; nil when nobody waits
	buf   []item                        // the exporter's take buffer
}

type slot struct {
	seq atomic.Uint64
	it  item
}

// closedBit marks tail once the queue refuses new items; setting it with a
// CAS fixes the final tail exactly, so nothing slips in after the last drain.
const closedBit = 1 << 63

func newQueue(limit, batch int) *queue {
	n := uint64(1) << bits.Len64(uint64(max(limit, 2)-1)) // round up to a power of two
	q := &queue{slots: make([]slot, n), mask: n - 1, batch: uint64(max(batch, 1)), wake: make(chan struct{}, 1)}
	for i := range q.slots {
		q.slots[i].seq.Store(uint64(i))
	}
	return q
}

type pushResult uint8

const (
	pushed pushResult = iota
	pushFull
	pushClosed
)

// push copies *it into the queue unless it is full or closed.
func (q *queue) push(it *item) pushResult {
	s, pos, r := q.reserve()
	if r == pushed {
		s.it = *it
		q.publish(s, pos)
	}
	return r
}

// reserve claims the next slot for the caller to fill and publish; it lets
// Run.Emit write its event straight into the queue with a single copy, and
// otelbridge build its event there with none. The slot's item is zero.
func (q *queue) reserve() (*slot, uint64, pushResult) {
	for {
		pos := q.tail.Load()
		if pos&closedBit != 0 {
			return nil, 0, pushClosed
		}
		s := &q.slots[pos&q.mask]
		switch dif := int64(s.seq.Load()) - int64(pos); {
		case dif == 0:
			if q.tail.CompareAndSwap(pos, pos+1) {
				return s, pos, pushed
			}
		case dif < 0:
			return nil, 0, pushFull
		}
	}
}

// publish hands a filled slot to the exporter.
func (q *queue) publish(s *slot, pos uint64) {
	s.seq.Store(pos + 1)
	// Wake the exporter when the queue turns non-empty (it arms its linger
	// timer) and when a batch is full; in between it has nothing to do.
	if n := pos + 1 - q.head.Load(); n == 1 || n == q.batch {
		q.signal()
	}
}

// pushWait is push that waits for room until ctx or stop is done.
func (q *queue) pushWait(ctx context.Context, it *item, stop <-chan struct{}) (pushResult, error) {
	s, pos, r, err := q.reserveWait(ctx, stop)
	if r == pushed {
		s.it = *it
		q.publish(s, pos)
	}
	return r, err
}

// reserveWait is reserve that waits for room until ctx (nil: never) or
// stop is done.
func (q *queue) reserveWait(ctx context.Context, stop <-chan struct{}) (*slot, uint64, pushResult, error) {
	var done <-chan struct{}
	if ctx != nil {
		done = ctx.Done()
	}
	for {
		if s, pos, r := q.reserve(); r != pushFull {
			return s, pos, r, nil
		}
		ch := q.space.Load()
		if ch == nil {
			c := make(chan struct{})
			if !q.space.CompareAndSwap(nil, &c) {
				continue
			}
			ch = &c
		}
		// Register first, then look again: a take between the two is seen.
		if s, pos, r := q.reserve(); r != pushFull {
			return s, pos, r, nil
		}
		q.signal()
		select {
		case <-*ch:
		case <-done:
			return nil, 0, pushFull, ctx.Err()
		case <-stop:
			return nil, 0, pushClosed, nil
		}
	}
}

func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take moves every published item to the exporter. The returned slice is
// the exporter's until its next take. Exporter goroutine only.
func (q *queue) take() []item {
	out := q.buf[:0]
	head := q.head.Load()
	for {
		s := &q.slots[head&q.mask]
		if s.seq.Load() != head+1 {
			break // empty, or a producer is still writing this slot
		}
		out = append(out, s.it)
		s.it = item{} // let the GC have what the item pointed to
		s.seq.Store(head + q.mask + 1)
		head++
		q.head.Store(head)
	}
	q.buf = out
	if ch := q.space.Swap(nil); ch != nil {
		close(*ch)
	}
	return out
}

// drainClosed takes everything up to the final tail of a closed queue,
// waiting for producers that reserved a slot to finish writing it.
func (q *queue) drainClosed() []item {
	end := q.tail.Load() &^ closedBit
	var all []item
	for {
		all = append(all, q.take()...)
		if q.head.Load() >= end {
			return all
		}
		runtime.Gosched()
	}
}

// len is how many items wait.
func (q *queue) len() int {
	return int(q.tail.Load()&^closedBit - q.head.Load())
}

// close refuses later pushes; what is queued stays for the exporter.
func (q *queue) close() {
	for {
		t := q.tail.Load()
		if t&closedBit != 0 || q.tail.CompareAndSwap(t, t|closedBit) {
			break
		}
	}
	if ch := q.space.Swap(nil); ch != nil {
		close(*ch)
	}
	q.signal()
}
