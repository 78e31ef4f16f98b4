package otelbridge

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go"
)

const (
	// shardCount splits the span table so spans rarely wait for one
	// another. A power of two.
	shardCount = 16
	// traceBuckets is the size of the trace filter: how many counters the
	// trace ids of tracked spans are spread over. A span whose bucket
	// counts zero is in no run, which OnEnd learns from one atomic load.
	// A power of two; 64 KiB of counters.
	traceBuckets = 1 << 14
	// minSweepInterval keeps a full shard from being swept on every
	// insert when nothing in it is stale.
	minSweepInterval = time.Second
)

// scope is one run as the bridge sees it: shared by every tracked span of
// the run, never changed after creation.
type scope struct {
	run   *drip.Run
	owned bool      // the bridge opened the run and ends it with its root span
	born  time.Time // when the bridge first saw the run, for eviction
	// ended is set when the bridge ended an owned run: spans of it still
	// open (children outliving their root) are then evictable at once.
	ended atomic.Bool
}

// entry is what the table holds per tracked span, keyed by span id. The
// trace id is checked on lookup, so ID generators that reuse span ids
// across traces cannot mix runs.
type entry struct {
	trace trace.TraceID
	sc    *scope
	root  bool // the span opened sc's run
}

type shard struct {
	mu        sync.Mutex
	m         map[uint64]entry
	lastSweep time.Time
	_         [24]byte // one shard per 64-byte cache line
}

// spanTable remembers which run each started, not yet ended span belongs
// to, since OnEnd gets no ctx. It is bounded: a full shard first forgets
// spans of runs older than maxAge, then refuses new spans.
type spanTable struct {
	shards   [shardCount]shard
	traces   [traceBuckets]atomic.Int32 // tracked spans per trace bucket
	perShard int
	maxAge   time.Duration
	evicted  atomic.Int64
}

func (t *spanTable) init(maxSpans int, maxAge time.Duration) {
	t.perShard = max(maxSpans/shardCount, 1)
	t.maxAge = maxAge
	for i := range t.shards {
		t.shards[i].m = make(map[uint64]entry, min(t.perShard, 64))
	}
}

func spanKey(s trace.SpanID) uint64 { return binary.LittleEndian.Uint64(s[:]) }

func bucket(t trace.TraceID) uint32 {
	// The low half is random under every common ID scheme (X-Ray puts a
	// timestamp in the high bytes).
	return binary.LittleEndian.Uint32(t[12:]) & (traceBuckets - 1)
}

func (t *spanTable) shardFor(k uint64) *shard { return &t.shards[k>>56&(shardCount-1)] }

// mayHold reports whether spans of trace tid may be tracked: false is
// certain, true may be a bucket shared with another trace.
func (t *spanTable) mayHold(tid trace.TraceID) bool { return t.traces[bucket(tid)].Load() != 0 }

// get returns the entry of a tracked span.
func (t *spanTable) get(sc trace.SpanContext) (entry, bool) {
	tid := sc.TraceID()
	if !t.mayHold(tid) {
		return entry{}, false
	}
	k := spanKey(sc.SpanID())
	sh := t.shardFor(k)
	sh.mu.Lock()
	e, ok := sh.m[k]
	sh.mu.Unlock()
	return e, ok && e.trace == tid
}

// take removes and returns the entry of a tracked span.
func (t *spanTable) take(sc trace.SpanContext) (entry, bool) {
	tid := sc.TraceID()
	if !t.mayHold(tid) {
		return entry{}, false
	}
	k := spanKey(sc.SpanID())
	sh := t.shardFor(k)
	sh.mu.Lock()
	e, ok := sh.m[k]
	if ok = ok && e.trace == tid; ok {
		delete(sh.m, k)
		t.traces[bucket(tid)].Add(-1)
	}
	sh.mu.Unlock()
	return e, ok
}

// put tracks a span. It returns false when the shard is full of live runs
// (or, rarely, the span id is tracked for another trace). Owned runs whose
// spans were evicted to make room are returned so the caller can end them
// outside the lock.
func (t *spanTable) put(sid trace.SpanID, e entry) (ok bool, stale []*drip.Run) {
	k := spanKey(sid)
	sh := t.shardFor(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if old, dup := sh.m[k]; dup {
		if old.trace != e.trace {
			return false, nil
		}
		sh.m[k] = e // the same span again; counted once
		return true, nil
	}
	if len(sh.m) >= t.perShard {
		stale = t.sweepLocked(sh, time.Now())
		if len(sh.m) >= t.perShard {
			return false, stale
		}
	}
	sh.m[k] = e
	t.traces[bucket(e.trace)].Add(1)
	return true, stale
}

// room reports whether the shard of span sid can take one more span,
// sweeping it first when full (see put for stale).
func (t *spanTable) room(sid trace.SpanID) (ok bool, stale []*drip.Run) {
	sh := t.shardFor(spanKey(sid))
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.m) >= t.perShard {
		stale = t.sweepLocked(sh, time.Now())
	}
	return len(sh.m) < t.perShard, stale
}

// sweepLocked forgets the spans of runs older than maxAge or already ended,
// at most once per minSweepInterval per shard, and returns the owned runs
// whose root span it forgot.
func (t *spanTable) sweepLocked(sh *shard, now time.Time) []*drip.Run {
	if now.Sub(sh.lastSweep) < minSweepInterval {
		return nil
	}
	sh.lastSweep = now
	var roots []*drip.Run
	for k, e := range sh.m {
		if !e.sc.ended.Load() && now.Sub(e.sc.born) < t.maxAge {
			continue
		}
		delete(sh.m, k)
		t.traces[bucket(e.trace)].Add(-1)
		t.evicted.Add(1)
		if e.root && e.sc.owned {
			roots = append(roots, e.sc.run)
		}
	}
	return roots
}

// clear forgets every span and returns the owned runs still open.
func (t *spanTable) clear() []*drip.Run {
	var roots []*drip.Run
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for k, e := range sh.m {
			if e.root && e.sc.owned {
				roots = append(roots, e.sc.run)
			}
			delete(sh.m, k)
			t.traces[bucket(e.trace)].Add(-1)
		}
		sh.mu.Unlock()
	}
	return roots
}

// len counts the tracked spans.
func (t *spanTable) len() int64 {
	var n int
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return int64(n)
}
