package drip

import (
	"context"
	"sync"
)

// queue is the tracker's bounded hand-off between callers and the exporter.
// Callers append under a mutex; the exporter swaps the whole slice out and
// hands it back when done, so a push is one short critical section and, once
// the two buffers have grown, no allocation. Memory follows use: nothing is
// allocated up front for the capacity.
type queue struct {
	mu     sync.Mutex
	items  []item
	spare  []item // the exporter's last batch, returned for reuse
	limit  int
	batch  int
	closed bool
	// billable counts the queued events and usage records; accepted,
	// every one ever taken in: the figures Stats accounts from.
	billable int
	accepted int64
	// room is closed when the exporter takes items; made only while a
	// blocking caller waits for room.
	room chan struct{}
	// wake (capacity 1) tells the exporter to look: sent when the queue
	// turns non-empty (it arms its linger timer) and when a batch is full.
	wake chan struct{}
}

type pushResult uint8

const (
	pushed pushResult = iota
	pushFull
	pushClosed
)

func newQueue(limit, batch int) *queue {
	return &queue{limit: max(limit, 1), batch: max(batch, 1), wake: make(chan struct{}, 1)}
}

// push copies *it into the queue unless it is full or closed.
func (q *queue) push(it *item) pushResult {
	q.mu.Lock()
	r, n := q.pushLocked(it)
	q.mu.Unlock()
	if r == pushed && (n == 1 || n == q.batch) {
		q.signal()
	}
	return r
}

func (q *queue) pushLocked(it *item) (pushResult, int) {
	switch {
	case q.closed:
		return pushClosed, 0
	case len(q.items) >= q.limit:
		return pushFull, 0
	}
	q.items = append(q.items, *it)
	if it.kind.billable() {
		q.billable++
		q.accepted++
	}
	return pushed, len(q.items)
}

// pushWait is push that waits for room until ctx or stop is done.
func (q *queue) pushWait(ctx context.Context, it *item, stop <-chan struct{}) (pushResult, error) {
	for {
		q.mu.Lock()
		r, n := q.pushLocked(it)
		if r != pushFull {
			q.mu.Unlock()
			if r == pushed && (n == 1 || n == q.batch) {
				q.signal()
			}
			return r, nil
		}
		if q.room == nil {
			q.room = make(chan struct{})
		}
		room := q.room
		q.mu.Unlock()
		q.signal() // a full queue is a full batch: let the exporter take it
		select {
		case <-room:
		case <-ctx.Done():
			return pushFull, ctx.Err()
		case <-stop:
			return pushClosed, nil
		}
	}
}

func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take hands every queued item to the exporter. The slice is the
// exporter's until it gives it back with recycle.
func (q *queue) take() []item {
	q.mu.Lock()
	out := q.items
	q.items, q.spare = q.spare[:0], nil
	q.billable = 0
	if q.room != nil {
		close(q.room)
		q.room = nil
	}
	q.mu.Unlock()
	return out
}

// recycle returns a slice take gave out, emptied so the garbage collector
// can have what its items pointed to.
func (q *queue) recycle(items []item) {
	clear(items)
	q.mu.Lock()
	if q.spare == nil {
		q.spare = items[:0]
	}
	q.mu.Unlock()
}

// forget takes back the count of a taken item that turned out to hold
// nothing to record (item.call).
func (q *queue) forget() {
	q.mu.Lock()
	q.accepted--
	q.mu.Unlock()
}

// len is how many items wait.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// counts returns how many events and usage records wait, and how many were
// ever taken in.
func (q *queue) counts() (billable int, accepted int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.billable, q.accepted
}

// close refuses later pushes; what is queued stays for the exporter.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	if q.room != nil {
		close(q.room)
		q.room = nil
	}
	q.mu.Unlock()
	q.signal()
}
