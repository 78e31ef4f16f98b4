// Package reporttest is the providers.Reporter the meters' tests report
// to. A Recorder keeps what it is given; it is a providers.DeferredReporter,
// as the tracker's UsageRecorder is, and completes a call handed over
// unread on another goroutine when the usages are asked for, so a test
// reads what the tracker would. Plain gives the same Recorder as a plain
// Reporter, for which a meter completes each call at once.
package reporttest

import (
	"context"
	"sync"
	"testing"

	"github.com/drip-sdk/drip-go/providers"
)

// Recorder keeps the usages reported to it. The zero value is ready.
type Recorder struct {
	mu   sync.Mutex
	got  []*providers.Usage
	todo map[*providers.Usage]providers.Completer
	ctxs []context.Context
}

var _ providers.DeferredReporter = (*Recorder)(nil)

// Report keeps u.
func (r *Recorder) Report(ctx context.Context, u providers.Usage) {
	r.keep(ctx, &u, nil)
}

// ReportDeferred keeps the call c completes, to be completed when the
// usages are asked for.
func (r *Recorder) ReportDeferred(ctx context.Context, c providers.Completer) {
	r.keep(ctx, new(providers.Usage), c)
}

func (r *Recorder) keep(ctx context.Context, u *providers.Usage, c providers.Completer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, u)
	r.ctxs = append(r.ctxs, ctx)
	if c != nil {
		if r.todo == nil {
			r.todo = map[*providers.Usage]providers.Completer{}
		}
		r.todo[u] = c
	}
}

// Plain is r as a plain providers.Reporter (not a DeferredReporter).
func (r *Recorder) Plain() providers.Reporter {
	return providers.ReporterFunc(r.Report)
}

// All returns the usages reported so far, in order, each call handed over
// unread completed first, on another goroutine.
func (r *Recorder) All() []providers.Usage {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]providers.Usage, len(r.got))
	for i, u := range r.got {
		if c := r.todo[u]; c != nil {
			done := make(chan struct{})
			go func() { c.Complete(u); close(done) }()
			<-done
			delete(r.todo, u)
		}
		out[i] = *u
	}
	return out
}

// One asserts that exactly one usage was reported and returns it.
func (r *Recorder) One(t testing.TB) providers.Usage {
	t.Helper()
	got := r.All()
	if len(got) != 1 {
		t.Fatalf("reported %d usages, want 1: %+v", len(got), got)
	}
	return got[0]
}

// Len is how many usages were reported.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// Ctx is the ctx the i-th usage was reported under.
func (r *Recorder) Ctx(i int) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ctxs[i]
}

// Reset forgets what was reported.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got, r.todo, r.ctxs = nil, nil, nil
}
