package otelbridge

import (
	"encoding/binary"
	"math/bits"
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
	// metered: the span started under a ctx another drip-go meter marks
	// (providers.MarkMetered), so an LLM call it describes is counted there.
	metered bool
}

// shard is one lock's worth of the table: an open-addressing hash table
// (linear probing, backward-shift deletion, at most half full) from span
// id to entry. Ending a span is one probe sequence that finds and removes
// it, where a Go map needs a lookup and a delete.
type shard struct {
	mu        sync.Mutex
	slots     []slot // a power of two long
	n         int32  // slots in use
	shift     uint32 // 64 - log2(len(slots))
	lastSweep time.Time
}

// slot is one cell of a shard: an entry and its span id.
type slot struct {
	key     uint64
	used    bool
	root    bool
	metered bool
	sc      *scope
	tr      trace.TraceID
}

func (s *slot) entry() entry {
	return entry{trace: s.tr, sc: s.sc, root: s.root, metered: s.metered}
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
		t.shards[i].resize(slotsFor(min(t.perShard, 64)))
	}
}

// slotsFor is the table length that holds n spans at most half full.
func slotsFor(n int) int {
	size := 2
	for size < 2*n {
		size *= 2
	}
	return size
}

func spanKey(s trace.SpanID) uint64 { return binary.LittleEndian.Uint64(s[:]) }

func bucket(t trace.TraceID) uint32 {
	// The low half is random under every common ID scheme (X-Ray puts a
	// timestamp in the high bytes).
	return binary.LittleEndian.Uint32(t[12:]) & (traceBuckets - 1)
}

func (t *spanTable) shardFor(k uint64) *shard { return &t.shards[k>>56&(shardCount-1)] }

// home is the slot where the probe for k starts. Span ids need not be
// random (some generators count), so they are mixed (Fibonacci hashing).
func (sh *shard) home(k uint64) int { return int((k * 0x9e3779b97f4a7c15) >> sh.shift) }

// find returns the slot of k, or the empty slot where k would go and false.
func (sh *shard) find(k uint64) (int, bool) {
	mask := len(sh.slots) - 1
	for i := sh.home(k); ; i = (i + 1) & mask {
		s := &sh.slots[i]
		if !s.used {
			return i, false
		}
		if s.key == k {
			return i, true
		}
	}
}

// removeAt empties slot i, moving later slots of its probe run back so
// that every key stays reachable from its home slot.
func (sh *shard) removeAt(i int) {
	mask := len(sh.slots) - 1
	for j := (i + 1) & mask; sh.slots[j].used; j = (j + 1) & mask {
		// The key in j may fill the hole at i if i is on its probe path,
		// i.e. no farther from j than its home is.
		if (j-sh.home(sh.slots[j].key))&mask >= (j-i)&mask {
			sh.slots[i] = sh.slots[j]
			i = j
		}
	}
	sh.slots[i] = slot{}
	sh.n--
}

// resize rehashes the shard into size slots.
func (sh *shard) resize(size int) {
	old := sh.slots
	sh.slots = make([]slot, size)
	sh.shift = uint32(64 - bits.TrailingZeros(uint(size)))
	for i := range old {
		if old[i].used {
			j, _ := sh.find(old[i].key)
			sh.slots[j] = old[i]
		}
	}
}

// get returns the entry of a tracked span.
func (t *spanTable) get(sc trace.SpanContext) (entry, bool) { return t.lookup(&sc, false) }

// take removes and returns the entry of a tracked span.
func (t *spanTable) take(sc *trace.SpanContext) (entry, bool) { return t.lookup(sc, true) }

// lookup returns the entry of a tracked span, removing it if remove.
func (t *spanTable) lookup(sc *trace.SpanContext, remove bool) (entry, bool) {
	tid := sc.TraceID()
	b := bucket(tid)
	if t.traces[b].Load() == 0 {
		return entry{}, false
	}
	k := spanKey(sc.SpanID())
	sh := t.shardFor(k)
	sh.mu.Lock()
	i, ok := sh.find(k)
	var e entry
	if ok = ok && sh.slots[i].tr == tid; ok {
		e = sh.slots[i].entry()
		if remove {
			sh.removeAt(i)
			t.traces[b].Add(-1)
		}
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
	i, dup := sh.find(k)
	if dup {
		s := &sh.slots[i]
		if s.tr != e.trace {
			return false, nil
		}
		s.sc, s.root, s.metered = e.sc, e.root, e.metered // the same span again; counted once
		return true, nil
	}
	if int(sh.n) >= t.perShard {
		stale = t.sweepLocked(sh, time.Now())
		if int(sh.n) >= t.perShard {
			return false, stale
		}
		i, _ = sh.find(k) // the sweep moved slots
	}
	if 2*int(sh.n+1) > len(sh.slots) {
		sh.resize(2 * len(sh.slots))
		i, _ = sh.find(k)
	}
	sh.slots[i] = slot{key: k, used: true, root: e.root, metered: e.metered, sc: e.sc, tr: e.trace}
	sh.n++
	t.traces[bucket(e.trace)].Add(1)
	return true, stale
}

// room reports whether the shard of span sid can take one more span,
// sweeping it first when full (see put for stale).
func (t *spanTable) room(sid trace.SpanID) (ok bool, stale []*drip.Run) {
	sh := t.shardFor(spanKey(sid))
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if int(sh.n) >= t.perShard {
		stale = t.sweepLocked(sh, time.Now())
	}
	return int(sh.n) < t.perShard, stale
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
	// removeAt only moves slots from later in a probe run into the hole,
	// so re-checking i after a removal visits every slot (a run wrapping
	// past the end may bring back one already kept; it is kept again).
	for i := 0; i < len(sh.slots); {
		s := &sh.slots[i]
		if !s.used || (!s.sc.ended.Load() && now.Sub(s.sc.born) < t.maxAge) {
			i++
			continue
		}
		t.traces[bucket(s.tr)].Add(-1)
		t.evicted.Add(1)
		if s.root && s.sc.owned {
			roots = append(roots, s.sc.run)
		}
		sh.removeAt(i)
	}
	return roots
}

// clear forgets every span and returns the owned runs still open.
func (t *spanTable) clear() []*drip.Run {
	var roots []*drip.Run
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for j := range sh.slots {
			s := &sh.slots[j]
			if !s.used {
				continue
			}
			if s.root && s.sc.owned {
				roots = append(roots, s.sc.run)
			}
			t.traces[bucket(s.tr)].Add(-1)
		}
		clear(sh.slots)
		sh.n = 0
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
		n += int(sh.n)
		sh.mu.Unlock()
	}
	return int64(n)
}
