package drip

import (
	"context"
	"log/slog"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

type itemKind uint8

const (
	kindEvent itemKind = iota
	kindUsage
	kindStart
	kindEnd
)

// item is one queued unit of work, stored by value in the queue: an Emit
// costs a copy and no allocation. Rare kinds hold pointers to keep it small.
type item struct {
	kind  itemKind
	run   *Run          // kindEvent, kindStart, kindEnd
	ev    Event         // kindEvent
	usage *UsageParams  // kindUsage
	end   *EndRunParams // kindEnd
}

// export is the exporter goroutine: it sends a batch when one is full, when
// the oldest queued item has lingered BatchTimeout, on Flush and at
// Shutdown.
func (t *Tracker) export() {
	defer close(t.done)
	defer func() {
		if t.metrics != nil {
			t.metrics.unregister()
		}
	}()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	armed := false
	send := func() {
		if armed {
			timer.Stop()
			armed = false
		}
		if items := t.queue.take(); len(items) > 0 {
			t.exportBatch(items)
			t.queue.recycle(items)
		}
	}
	for {
		select {
		case <-t.queue.wake:
			if n := t.queue.len(); n >= t.cfg.maxBatch {
				send()
			} else if n > 0 && !armed {
				timer.Reset(t.cfg.batchTimeout)
				armed = true
			}
		case <-timer.C:
			armed = false
			send()
		case req := <-t.flushCh:
			send()
			close(req)
		case <-t.stopCh:
			send() // the queue is closed: this takes the last items
			t.abandonOpenRuns()
			t.cancelExport()
			return
		}
	}
}

// abandonOpenRuns ends the runs nobody ended.
func (t *Tracker) abandonOpenRuns() {
	ends := make([]item, 0, len(t.openRuns))
	for r := range t.openRuns {
		end := r.loadEnd() // ended by the caller after the final drain: its end item was refused
		if r.state.CompareAndSwap(runOpen, runEnded) {
			end = EndRunParams{Status: RunFailed, ErrorCode: CodeAbandoned,
				ErrorMessage: "run was not ended before the tracker shut down"}
		}
		ends = append(ends, item{kind: kindEnd, run: r, end: &end})
	}
	t.exportBatch(ends)
}

// exportBatch sends a batch in causal order: run starts, then events (one
// request across runs), then usage, then run ends.
func (t *Tracker) exportBatch(batch []item) {
	var starts, ends, usage, events []*item
	for i := range batch {
		it := &batch[i]
		switch it.kind {
		case kindStart:
			starts = append(starts, it)
		case kindEnd:
			ends = append(ends, it)
		case kindUsage:
			usage = append(usage, it)
		case kindEvent:
			events = append(events, it)
		}
	}
	for _, it := range starts {
		t.exportStart(it.run)
	}
	if len(events) > 0 {
		t.exportEvents(events)
	}
	if len(usage) > 0 {
		t.exportUsage(usage)
	}
	for _, it := range ends {
		t.exportEnd(it.run, *it.end)
	}
}

// retry runs step until it succeeds, fails for good, MaxRetryElapsed
// passes or the export ctx is cancelled. It reports the final error.
func (t *Tracker) retry(step func(ctx context.Context) error) error {
	start := time.Now()
	policy := t.client.retry
	for n := 0; ; n++ {
		err := step(t.exportCtx)
		if err == nil {
			return nil
		}
		e, ok := AsError(err)
		if !ok || !e.Temporary() || t.exportCtx.Err() != nil {
			return err
		}
		if t.cfg.maxRetryElapsed > 0 && time.Since(start) > t.cfg.maxRetryElapsed {
			return err
		}
		t.retried.Add(1)
		p := policy
		if p.BaseDelay <= 0 {
			p.BaseDelay = DefaultBaseDelay
		}
		if p.MaxDelay <= 0 {
			p.MaxDelay = DefaultMaxDelay
		}
		p.MaxDelay = min(p.MaxDelay, 5*time.Second)
		if sleepCtx(t.exportCtx, p.backoff(min(n, 10), e.RetryAfter)) != nil {
			return err
		}
	}
}

// lost counts n items that will not be delivered and tells the error
// handler and the log. Items lost because Shutdown's deadline passed are
// dropped; the rest failed.
func (t *Tracker) lost(n int, err error, attrs ...slog.Attr) {
	if n > 0 {
		if t.exportCtx.Err() != nil {
			t.dropped.Add(int64(n))
			if t.metrics != nil {
				t.metrics.dropped.Add(context.Background(), int64(n))
			}
		} else {
			t.failed.Add(int64(n))
			if t.metrics != nil {
				t.metrics.failed.Add(context.Background(), int64(n))
			}
		}
	}
	attrs = append(attrs, slog.Int("items", n), slog.String("error", err.Error()))
	t.log.LogAttrs(context.Background(), slog.LevelError, "drip: export failed", attrs...)
	if t.cfg.onError != nil {
		t.cfg.onError(err)
	}
}

func (t *Tracker) exportStart(r *Run) {
	if r.externalID == "" {
		r.externalID = newKey(keyPrefixRun)
	}
	p := r.params
	p.ExternalRunID = r.externalID
	if r.parent != nil && p.ParentRunID == "" {
		p.ParentRunID = r.parent.ID()
	}
	// The run started when Start was called, not when it was exported: say
	// so, as events do, so durations are real.
	p.Metadata = withOccurredAt(p.Metadata, r.started)
	var info *RunInfo
	err := t.retry(func(ctx context.Context) error {
		var err error
		info, err = t.client.StartRun(ctx, p)
		return err
	})
	if err != nil {
		r.startErr.Store(&err)
		t.lost(0, err, slog.String("op", "StartRun"), slog.String("workflow", p.Workflow))
		return
	}
	r.id.Store(&info.ID)
	t.runsStarted.Add(1)
	t.openRuns[r] = struct{}{}
}

func (t *Tracker) exportEvents(items []*item) {
	// Drop events of runs that never started; stamp the rest with run ids.
	kept := make([]*Event, 0, len(items))
	lost := 0
	for _, it := range items {
		id := it.run.ID()
		if id == "" {
			lost++
			continue
		}
		e := &it.ev
		e.RunID = id
		t.price(e)
		kept = append(kept, e)
	}
	if lost > 0 {
		t.lost(lost, &Error{Op: "EmitEventsBatch", Code: CodeNotFound,
			Message: "events belong to runs that could not be started"})
	}
	for len(kept) > 0 {
		n := min(len(kept), t.cfg.maxBatch)
		chunk := kept[:n]
		kept = kept[n:]
		// Keys are made here, once, before the first attempt; every retry
		// sends the same events.
		for _, e := range chunk {
			if e.IdempotencyKey == "" {
				e.IdempotencyKey = newKey(keyPrefixEvent)
			}
		}
		t.inFlight.Add(int64(n))
		start := time.Now()
		var res wire.RunEventBatchResult
		err := t.retry(func(ctx context.Context) error {
			res = wire.RunEventBatchResult{}
			return t.client.emitBatch(ctx, chunk, &res)
		})
		t.inFlight.Add(-int64(n))
		if t.metrics != nil {
			t.metrics.exportLatency.Record(context.Background(), time.Since(start).Seconds())
		}
		if err != nil {
			t.lost(n, err, slog.String("op", "EmitEventsBatch"))
			continue
		}
		ok := int64(res.Created + res.Duplicates)
		t.sent.Add(ok)
		if t.metrics != nil {
			t.metrics.sent.Add(context.Background(), ok)
		}
		if res.Skipped > 0 {
			reason := ""
			for _, e := range res.Events {
				if e.Skipped {
					reason = e.Reason
					break
				}
			}
			t.lost(res.Skipped, &Error{Op: "EmitEventsBatch", Code: CodeValidation,
				Message: "server skipped " + strconv.Itoa(res.Skipped) + " events: " + reason})
		}
	}
}

// withOccurredAt returns md plus the occurredAt key (a copy: the caller's
// map is never written).
func withOccurredAt(md map[string]any, at time.Time) map[string]any {
	out := make(map[string]any, len(md)+1)
	maps.Copy(out, md)
	out[wire.MetaOccurredAt] = at.UTC().Format(time.RFC3339Nano)
	return out
}

// price fills the cost of an LLM event that has none: the one place events
// are priced, on the exporter rather than the caller's goroutine.
func (t *Tracker) price(e *Event) {
	if e.CostUnits != 0 || e.Model == "" || t.cfg.prices == nil || e.Type != EventLLMCompletion {
		return
	}
	if cost, ok := t.cfg.prices.Cost(e.Model, e.InputTokens, e.CachedInputTokens, e.OutputTokens); ok {
		e.CostUnits = cost
	}
}

func (t *Tracker) exportUsage(items []*item) {
	sem := make(chan struct{}, usageConcurrency)
	var wg sync.WaitGroup
	for _, it := range items {
		p := it.usage
		if p.IdempotencyKey == "" {
			p.IdempotencyKey = newKey(keyPrefixTrack)
		}
		sem <- struct{}{}
		wg.Add(1)
		t.inFlight.Add(1)
		go func() {
			defer func() { <-sem; wg.Done(); t.inFlight.Add(-1) }()
			err := t.retry(func(ctx context.Context) error {
				_, err := t.client.TrackUsage(ctx, *p)
				return err
			})
			if err != nil {
				t.lost(1, err, slog.String("op", "TrackUsage"), slog.String("meter", p.Meter))
				return
			}
			t.sent.Add(1)
			if t.metrics != nil {
				t.metrics.sent.Add(context.Background(), 1)
			}
		}()
	}
	wg.Wait()
}

func (t *Tracker) exportEnd(r *Run, p EndRunParams) {
	id := r.ID()
	delete(t.openRuns, r)
	if id == "" {
		return // never started; already reported
	}
	if at := r.endedAt.Load(); at != 0 {
		p.Metadata = withOccurredAt(p.Metadata, time.Unix(0, at))
	}
	err := t.retry(func(ctx context.Context) error {
		_, err := t.client.EndRun(ctx, id, p)
		if e, ok := AsError(err); ok && e.Code == CodeRunAlreadyEnded {
			return nil // ended before (e.g. by a replayed request); nothing to fix
		}
		return err
	})
	if err != nil {
		t.lost(0, err, slog.String("op", "EndRun"), slog.String("run_id", id))
		return
	}
	t.runsEnded.Add(1)
}
