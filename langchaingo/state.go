package langchaingo

import (
	"context"
	"reflect"
	"time"

	"github.com/tmc/langchaingo/llms"

	drip "github.com/drip-sdk/drip-go"
)

// Limits on per-ctx state. Starts past them drop the oldest (a provider
// that never ends its calls, called in a loop on one ctx).
const (
	maxPendingLLM  = 32
	maxPendingRetr = 32
	// doneGrace is how long an entry with open chains survives its ctx being
	// done, so the chain's own error callback (which follows a cancellation)
	// still finds it.
	doneGrace = time.Second
	// minSweepLen is the entry count below which only the clock triggers a
	// sweep.
	minSweepLen = 1024
	recentEnds  = 16
	// maxFree is how many released entries are kept for reuse.
	maxFree = 64
)

// entry is the state of one ctx: the chain/agent frames running on it and
// the calls started on it and not yet ended.
type entry struct {
	frames  []*frame
	llm     []time.Time // pending LLM starts, oldest first
	retr    []time.Time // pending retriever starts
	tool    *pendingTool
	actions int // agent actions outside any frame
	metered int // calls the HTTP meter recorded whose end callback is still to come
	seen    time.Time
}

// frame is one chain or agent execution.
type frame struct {
	run     *drip.Run
	owned   bool // the handler started run and ends it
	start   time.Time
	agent   bool
	actions int
}

// pendingTool is a tool between its start (agent action or tool callback)
// and its end.
type pendingTool struct {
	name     string
	start    time.Time
	callback bool // HandleToolStart seen: HandleToolEnd will close it
}

func (e *entry) empty() bool {
	return len(e.frames) == 0 && len(e.llm) == 0 && len(e.retr) == 0 && e.tool == nil && e.actions == 0 && e.metered == 0
}

func (e *entry) top() *frame {
	if len(e.frames) == 0 {
		return nil
	}
	return e.frames[len(e.frames)-1]
}

// keyable reports whether ctx can be a map key: every context type of the
// standard library is; a user type with slices or maps in it is not, and
// its calls are then recorded without per-call state.
func keyable(ctx context.Context) bool {
	if ctx == nil {
		return false
	}
	return reflect.TypeOf(ctx).Comparable()
}

// lookup returns ctx's entry, creating it when create is set. h.mu is held.
func (h *CallbackHandler) lookup(ctx context.Context, now time.Time, create bool) *entry {
	if !keyable(ctx) {
		if create {
			return &entry{seen: now} // used once, never stored
		}
		return nil
	}
	e := h.entries[ctx]
	if e == nil && create {
		h.maybeSweep(now)
		if n := len(h.free); n > 0 {
			e, h.free = h.free[n-1], h.free[:n-1]
		} else {
			e = &entry{}
		}
		e.seen = now
		h.entries[ctx] = e
	}
	if e != nil {
		e.seen = now
	}
	return e
}

// release drops ctx's entry when nothing is pending on it. h.mu is held.
func (h *CallbackHandler) release(ctx context.Context, e *entry) {
	if !e.empty() || !keyable(ctx) || h.entries[ctx] != e {
		return
	}
	delete(h.entries, ctx)
	if len(h.free) < maxFree {
		// Reused by the next ctx: a bare call costs no allocation.
		*e = entry{frames: e.frames[:0], llm: e.llm[:0], retr: e.retr[:0]}
		h.free = append(h.free, e)
	}
}

// maybeSweep sweeps when the clock or the entry count says so. h.mu is
// held.
func (h *CallbackHandler) maybeSweep(now time.Time) {
	if len(h.entries) < h.sweepLen && now.Sub(h.lastSweep) < h.sweepEvery {
		return
	}
	h.sweepLocked(now)
}

// sweepLocked drops the entries of contexts that are done and of contexts
// idle for longer than the TTL: calls that never ended (providers that skip
// the end callback, cancelled calls). Runs the handler started for such
// entries are ended CANCELLED (ctx done) or TIMEOUT (idle). h.mu is held.
func (h *CallbackHandler) sweepLocked(now time.Time) {
	h.lastSweep = now
	for ctx, e := range h.entries {
		idle := now.Sub(e.seen)
		done := ctx.Err() != nil
		switch {
		case idle > h.cfg.ttl:
		case done && (len(e.frames) == 0 || idle > doneGrace):
		default:
			continue
		}
		delete(h.entries, ctx)
		status := drip.RunTimeout
		if done {
			status = drip.RunCancelled
		}
		for _, f := range e.frames {
			if f.owned {
				h.abandoned = append(h.abandoned, abandonedRun{f.run, status})
				h.hasAbandon.Store(true)
			}
		}
	}
	h.sweepLen = max(2*len(h.entries), minSweepLen)
}

type abandonedRun struct {
	run    *drip.Run
	status drip.RunStatus
}

// endAbandoned ends the runs a sweep dropped, outside h.mu.
func (h *CallbackHandler) endAbandoned(runs []abandonedRun) {
	for _, a := range runs {
		_ = a.run.EndWith(drip.EndRunParams{Status: a.status, ErrorCode: "ABANDONED",
			ErrorMessage: "langchaingo execution ended without an end callback"})
	}
}

// seenEnd records res as ended and reports whether it already was (a
// provider calling the end callback twice). h.mu is held.
func (h *CallbackHandler) seenEnd(res *llms.ContentResponse) bool {
	for _, r := range h.recent {
		if r == res {
			return true
		}
	}
	h.recent[h.recentAt] = res
	h.recentAt = (h.recentAt + 1) % recentEnds
	return false
}

// stateSize is how many contexts the handler holds state for: executions
// in flight and calls started but not ended (or not yet swept). It is for
// tests and monitoring.
func (h *CallbackHandler) stateSize() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.entries)
}

// sweep drops state of calls that will never end now instead of on the
// next start: contexts that are done, and contexts idle longer than the
// TTL (WithStateTTL).
func (h *CallbackHandler) sweep() {
	h.mu.Lock()
	h.sweepLocked(h.now())
	runs := h.abandoned
	h.abandoned = nil
	h.hasAbandon.Store(false)
	h.mu.Unlock()
	h.endAbandoned(runs)
}

// popFront drops the oldest start, keeping the slice's array for the next
// start on the same ctx (no allocation per call).
func popFront(s []time.Time) []time.Time {
	copy(s, s[1:])
	return s[:len(s)-1]
}
