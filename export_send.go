package drip

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// The requests the exporter sends, one function per kind, each retried
// with the keys and ids fixed before its first attempt.

// isPermanent reports whether the API refused a request for good: a 4xx
// other than 408, 409 and 429. Such records are dead-lettered, never
// retried.
func isPermanent(err error) bool {
	e, ok := AsError(err)
	return ok && e.StatusCode >= 400 && e.StatusCode < 500 && !e.Temporary() && e.StatusCode != http.StatusConflict
}

// retry runs step until it succeeds, fails for good, MaxRetryElapsed
// passes or the export ctx is cancelled. It reports the final error.
func (t *Tracker) retry(step func(ctx context.Context) error) error {
	start := time.Now()
	policy := t.client.retry
	for n := 0; ; n++ {
		if err := t.conc.wait(t.exportCtx); err != nil {
			return &Error{Op: "Tracker.export", Code: CodeTimeout, Message: "stopped waiting for the export rate limit", Err: err}
		}
		began := time.Now()
		err := step(t.exportCtx)
		took := time.Since(began)
		t.conc.observe(took, err)
		if t.metrics != nil {
			t.metrics.exportLatency.Record(context.Background(), took.Seconds())
		}
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

func (t *Tracker) sendStart(r *record) jobResult {
	var out wire.StartRunResult
	err := t.retry(func(ctx context.Context) error {
		_, err := t.client.do(ctx, request{op: "StartRun", method: "POST", path: "/runs", body: r.Start, out: &out, once: true})
		return err
	})
	if err != nil {
		return jobResult{outcomes: []outcome{{rec: r, err: err, dead: isPermanent(err), reason: err.Error()}}}
	}
	return jobResult{outcomes: []outcome{{rec: r}}, id: out.ID}
}

// sendRecord delivers a whole run in one POST /runs/record. Its
// externalRunId is fixed, so a retry finds the run already recorded and
// the API counts its events as duplicates.
func (t *Tracker) sendRecord(start *record, events []*record, end *record) jobResult {
	s := start.Start
	// The run's metadata is its start's (occurredAt: when it started) and
	// its end time, so the recorded run lasts what it lasted.
	md := maps.Clone(s.Metadata)
	if md == nil {
		md = map[string]any{}
	}
	if at, ok := end.End.Metadata[wire.MetaOccurredAt]; ok {
		md[wire.MetaEndedAt] = at
	}
	req := wire.RecordRunRequest{CustomerID: s.CustomerID, Workflow: s.WorkflowID, Events: make([]wire.RecordRunEvent, len(events)),
		Status: end.End.Status, ErrorMessage: end.End.ErrorMessage, ErrorCode: end.End.ErrorCode,
		ExternalRunID: s.ExternalRunID, CorrelationID: s.CorrelationID, Metadata: md}
	for i, r := range events {
		req.Events[i] = recordRunEvent(r.Event)
	}
	all := append([]*record{start}, events...)
	all = append(all, end)
	unrecorded := jobResult{unrecorded: true, outcomes: []outcome{}, pending: events}
	body, err := json.Marshal(&req)
	if err != nil || len(body) > t.cfg.maxBatchBytes {
		return unrecorded
	}
	var out wire.RecordRunResult
	err = t.retry(func(ctx context.Context) error {
		_, err := t.client.do(ctx, request{op: "RecordRun", method: "POST", path: "/runs/record", raw: body, out: &out, once: true})
		return err
	})
	if e, ok := AsError(err); ok {
		switch {
		case e.StatusCode == http.StatusNotFound && e.Code != CodeCustomerNotFound:
			unrecorded.noRoute = true
			return unrecorded
		case e.StatusCode == http.StatusRequestEntityTooLarge || e.StatusCode == http.StatusUnprocessableEntity:
			return unrecorded // the long way splits around what the API refuses
		}
	}
	if err != nil {
		// The run failed as a whole: its start carries the error, and
		// its events and end go back to it to be resolved with it.
		return jobResult{outcomes: []outcome{{rec: start, err: err, dead: isPermanent(err), reason: err.Error()}}, pending: events}
	}
	res := jobResult{outcomes: make([]outcome, 0, len(all)), id: out.Run.ID, recorded: true}
	for _, r := range all {
		res.outcomes = append(res.outcomes, outcome{rec: r})
	}
	return res
}

func (t *Tracker) sendEnd(id string, r *record) []outcome {
	err := t.retry(func(ctx context.Context) error {
		_, err := t.client.do(ctx, request{op: "EndRun", method: "PATCH", path: "/runs/" + url.PathEscape(id), body: r.End, out: &wire.EndRunResult{}, once: true})
		if e, ok := AsError(err); ok && e.Code == CodeRunAlreadyEnded {
			return nil // ended before (a replayed request); nothing to fix
		}
		return err
	})
	return []outcome{{rec: r, err: err, dead: isPermanent(err), reason: errText(err)}}
}

func (t *Tracker) sendUsage(r *record) []outcome {
	err := t.retry(func(ctx context.Context) error {
		_, err := t.client.do(ctx, request{op: "TrackUsage", method: "POST", path: r.Path, body: r.Usage, out: &wire.UsageResult{}, once: true})
		return err
	})
	return []outcome{{rec: r, err: err, dead: isPermanent(err), reason: errText(err)}}
}

// sendEvents delivers a run's events in batches bounded by count and by
// encoded bytes. A batch the API refuses as a whole (413, 422) is split
// until the events it refuses are alone: those are dead-lettered, every
// other event is delivered.
func (t *Tracker) sendEvents(runID string, recs []*record) []outcome {
	out := make([]outcome, 0, len(recs))
	// Events are encoded one after another into one buffer; each is known
	// by its span in it, so batches can be cut, and split, by bytes.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	var batch []*record
	var spans [][2]int
	size := 0
	flush := func() {
		if len(batch) > 0 {
			raws := make([][]byte, len(spans))
			for i, sp := range spans {
				raws[i] = buf.Bytes()[sp[0]:sp[1]]
			}
			out = t.sendBatch(batch, raws, out)
			batch, spans, size = batch[:0], spans[:0], 0
		}
	}
	for _, r := range recs {
		r.Event.RunID = runID
		start := buf.Len()
		if err := enc.Encode(r.Event); err != nil {
			buf.Truncate(start)
			out = append(out, outcome{rec: r, err: err, dead: true, reason: "cannot encode event: " + err.Error()})
			continue
		}
		n := buf.Len() - 1 - start // Encode ends each value with a newline
		if start == 0 && len(batch) == 0 {
			buf.Grow(min(n*len(recs), t.cfg.maxBatchBytes)) // room for the rest, at one size
		}
		if n+batchOverhead > t.cfg.maxBatchBytes {
			buf.Truncate(start)
			err := &Error{Op: "EmitEventsBatch", Code: CodeValidation, Field: "event",
				Message: "event is " + strconv.Itoa(n) + " bytes encoded, over the batch limit of " + strconv.Itoa(t.cfg.maxBatchBytes)}
			out = append(out, outcome{rec: r, err: err, dead: true, reason: err.Message})
			continue
		}
		if len(batch) == t.cfg.maxBatch || size+n+1+batchOverhead > t.cfg.maxBatchBytes {
			flush()
			// The flushed batch is sent: its bytes can go.
			last := buf.Bytes()[start : start+n+1]
			buf.Reset()
			buf.Write(last)
			start = 0
		}
		batch, spans = append(batch, r), append(spans, [2]int{start, start + n})
		size += n + 1
	}
	flush()
	return out
}

// batchOverhead is the bytes of a batch body around its events.
const batchOverhead = len(`{"events":[]}`)

func (t *Tracker) sendBatch(batch []*record, raws [][]byte, out []outcome) []outcome {
	n := len(batch)
	size := batchOverhead
	for _, raw := range raws {
		size += len(raw) + 1
	}
	body := make([]byte, 0, size)
	body = append(body, `{"events":[`...)
	for i, raw := range raws {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, raw...)
	}
	body = append(body, ']', '}')
	var res wire.RunEventBatchResult
	err := t.retry(func(ctx context.Context) error {
		res = wire.RunEventBatchResult{}
		_, err := t.client.do(ctx, request{op: "EmitEventsBatch", method: "POST", path: "/run-events/batch", raw: body, out: &res, once: true})
		return err
	})
	if err != nil {
		if e, ok := AsError(err); ok && n > 1 && (e.StatusCode == http.StatusRequestEntityTooLarge || e.StatusCode == http.StatusUnprocessableEntity) {
			// One bad event must not cost the others: halve until it is alone.
			out = t.sendBatch(batch[:n/2], raws[:n/2], out)
			return t.sendBatch(batch[n/2:], raws[n/2:], out)
		}
		for _, r := range batch {
			out = append(out, outcome{rec: r, err: err, dead: isPermanent(err), reason: err.Error()})
		}
		return out
	}
	for i, r := range batch {
		if i < len(res.Events) && res.Events[i].Skipped {
			reason := "skipped by the API: " + res.Events[i].Reason
			out = append(out, outcome{rec: r, dead: true, reason: reason,
				err: &Error{Op: "EmitEventsBatch", Code: CodeValidation, Message: reason}})
			continue
		}
		out = append(out, outcome{rec: r})
	}
	return out
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// withOccurredAt returns md plus the occurredAt key (a copy: the caller's
// map is never written).
func withOccurredAt(md map[string]any, at time.Time) map[string]any {
	out := make(map[string]any, len(md)+1)
	maps.Copy(out, md)
	out[wire.MetaOccurredAt] = at.UTC().Format(time.RFC3339Nano)
	return out
}

// maxUnpricedLogged bounds the unknown models the tracker remembers having
// logged.
const maxUnpricedLogged = 256

// price fills the cost of an LLM event that has none: the one place events
// are priced, on the exporter rather than the caller's goroutine.
func (t *Tracker) price(e *Event) {
	if e.CostUnits != 0 || e.Model == "" || t.cfg.prices == nil || e.Type != EventLLMCompletion {
		return
	}
	cost, ok := e.Cost(t.cfg.prices)
	if ok {
		e.CostUnits = cost
		return
	}
	// Recorded with its tokens and no cost; said once per model, at debug
	// level (the table is extended with pricing.Table.Set or WithPricing).
	// At most maxUnpricedLogged models are remembered.
	if _, seen := t.unpriced.Load(e.Model); seen || t.unpricedN.Load() >= maxUnpricedLogged {
		return
	}
	if _, seen := t.unpriced.LoadOrStore(e.Model, struct{}{}); !seen {
		t.unpricedN.Add(1)
		t.log.LogAttrs(context.Background(), slog.LevelDebug, "drip: no price for model; its events are recorded without cost",
			slog.String("model", e.Model))
	}
}
