package drip

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/drip-sdk/drip-go/internal/spool"
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
	kind itemKind
	run  *Run  // kindEvent, kindStart, kindEnd
	ev   Event // kindEvent
	// call, when set, is a call whose record the exporter builds: ev
	// (Run.emitCall) or usage (Tracker.trackCall). Fields, not a closure,
	// so queueing it allocates nothing.
	call  deferredCall
	usage *UsageParams  // kindUsage
	end   *EndRunParams // kindEnd
}

func (k itemKind) billable() bool { return k == kindEvent || k == kindUsage }

// record is an item made ready for delivery on the exporter: its ids and
// keys fixed, priced, mapped to the wire. It is what the spool stores, so a
// replay in another process sends exactly what the first attempt sent.
// Runs are named by their externalRunId, which outlives the process.
type record struct {
	Kind   string                `json:"kind"`
	Run    string                `json:"run,omitempty"`
	Parent string                `json:"parent,omitempty"` // the parent run's externalRunId
	Start  *wire.StartRunRequest `json:"start,omitempty"`
	Event  *wire.RunEvent        `json:"event,omitempty"`  // runId set when sent
	GenKey bool                  `json:"genKey,omitempty"` // the event's key is the SDK's, not the caller's
	Usage  *wire.UsageRequest    `json:"usage,omitempty"`
	Path   string                `json:"path,omitempty"` // the usage endpoint
	End    *wire.EndRunRequest   `json:"end,omitempty"`

	ord  uint64 // order taken, for Flush
	seq  uint64 // spool sequence; 0 when not spooled
	live *Run   // a start's run in this process
}

const (
	recStart = "start"
	recEvent = "event"
	recUsage = "usage"
	recEnd   = "end"
)

func (r *record) billable() bool { return r.Kind == recEvent || r.Kind == recUsage }

// runState is one run as the exporter delivers it: its start, then its
// events, then its end, one request at a time, while other runs proceed
// beside it.
type runState struct {
	ext    string
	run    *Run      // nil for a run replayed from the spool
	also   []*Run    // other runs started with the same externalRunId: the same run
	parent *runState // a parent whose id the start waits for
	// children are the runs whose starts wait for this one's id.
	children []*runState
	id       string // Drip's id, once the start is acknowledged
	err      error  // why the start was refused; the run's records fail with it
	start    *record
	events   []*record
	end      *record
	// inflight counts this run's requests in flight: one start, one end,
	// or any number of event batches (events of a run need no order
	// among themselves, only after the start and before the end).
	inflight int
	ready    bool // in the exporter's ready list
	// noRecord: the API refused this run as one POST /runs/record; it
	// goes out as start, batches and end.
	noRecord bool
}

// runs returns the live runs rs delivers.
func (rs *runState) runs() []*Run {
	if rs.run == nil {
		return rs.also
	}
	return append([]*Run{rs.run}, rs.also...)
}

// outcome is what became of one record.
type outcome struct {
	rec    *record
	err    error // nil: delivered
	dead   bool  // refused for good: dead-lettered
	reason string
}

// jobResult reports a finished request, back on the exporter goroutine.
type jobResult struct {
	rs       *runState // nil for usage
	outcomes []outcome
	id       string // a start's run id
	// unrecorded: POST /runs/record was refused before anything was
	// stored; noRoute: the API has no such endpoint at all.
	unrecorded, noRoute bool
	recorded            bool      // a run went out as one POST /runs/record
	pending             []*record // a run's events POST /runs/record did not take, back to it
}

// exporter is the tracker's delivery state, owned by its one goroutine.
type exporter struct {
	t            *Tracker
	runs         map[string]*runState
	live         map[*Run]*runState
	ready        []*runState
	usage        []*record
	inFlight     int      // requests running
	usageNext    bool     // alternate usage with runs when both wait
	noRecord     bool     // the API has no POST /runs/record
	recordMisses int      // 404s from POST /runs/record in a row
	released     []uint64 // spool records delivered, not yet marked so on disk
	results      chan jobResult
	nextOrd      uint64
	open         int // records taken and not resolved
	flushes      []*flushWait
}

type flushWait struct {
	upTo      uint64 // records taken up to this ord
	remaining int
	done      chan struct{}
}

func newExporter(t *Tracker) *exporter {
	return &exporter{t: t, runs: map[string]*runState{}, live: map[*Run]*runState{},
		results: make(chan jobResult, 64)}
}

// run is the exporter goroutine: it takes the queue when a batch is full,
// when the oldest item has lingered BatchTimeout, on Flush and at Shutdown,
// and keeps up to MaxConcurrentExports requests in flight.
func (x *exporter) run(replayed []spool.Record) {
	t := x.t
	defer close(t.done)
	defer func() {
		if t.metrics != nil {
			t.metrics.unregister()
		}
	}()
	x.replay(replayed)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	armed := false
	// pause wakes the loop when a 429's Retry-After has passed.
	pause := time.NewTimer(time.Hour)
	pause.Stop()
	// The exporter holds at most twice MaxQueueSize records beyond the queue:
	// when the API lags, the queue fills and callers feel it (refused, or
	// blocked with WithBlockOnFull) instead of the exporter's memory
	// growing. deferred is a take that waits for room.
	deferred := false
	take := func() {
		if armed {
			timer.Stop()
			armed = false
		}
		deferred = false
		if items := t.queue.take(); len(items) > 0 {
			x.accept(items)
			t.queue.recycle(items)
		}
	}
	takeIfRoom := func() {
		if x.open < 2*t.cfg.maxQueue {
			take()
		} else {
			deferred = true
		}
	}
	for {
		if until := x.schedule(); !until.IsZero() {
			pause.Reset(time.Until(until))
		}
		select {
		case <-pause.C:
		case <-t.queue.wake:
			if n := t.queue.len(); n >= t.cfg.maxBatch {
				takeIfRoom()
			} else if n > 0 && !armed {
				timer.Reset(t.cfg.batchTimeout)
				armed = true
			}
		case <-timer.C:
			armed = false
			takeIfRoom()
		case req := <-t.flushCh:
			take()
			x.flushWhenDone(req)
		case res := <-x.results:
			x.finish(res)
			if deferred {
				takeIfRoom()
			}
		case <-t.stopCh:
			take() // the queue is closed: this takes the last items
			x.abandonOpenRuns()
			x.drain()
			return
		}
	}
}

// drain delivers what is left at Shutdown, until done or Shutdown's
// deadline; then what was not delivered is counted as dropped.
func (x *exporter) drain() {
	t := x.t
	for x.open > 0 && t.exportCtx.Err() == nil {
		if until := x.schedule(); !until.IsZero() && x.inFlight == 0 {
			if sleepCtx(t.exportCtx, time.Until(until)) != nil {
				break
			}
			continue
		}
		if x.inFlight == 0 {
			break // nothing can make progress
		}
		x.finish(<-x.results)
	}
	for x.inFlight > 0 {
		x.finish(<-x.results)
	}
	if x.open > 0 {
		n := x.pendingBillable()
		t.dropped.Add(n)
		t.pending.Add(-n)
		kept := ""
		if t.spool != nil {
			kept = "; they stay in the spool and are delivered by the next tracker on it"
		}
		t.log.LogAttrs(context.Background(), slog.LevelError, "drip: shutdown deadline passed"+kept,
			slog.Int64("undelivered", n))
	}
	t.cancelExport()
	if t.spool != nil {
		x.flushReleases()
		if err := t.spool.Close(); err != nil {
			t.report("spool", err, 0)
		}
	}
	// No goroutines left behind: the connections the client's own
	// transport keeps idle go too (a later call opens new ones).
	t.client.CloseIdleConnections()
}

// pendingBillable counts the events and usage records not yet resolved.
func (x *exporter) pendingBillable() int64 {
	n := int64(len(x.usage))
	for _, rs := range x.runs {
		n += int64(len(rs.events))
	}
	return n
}

// accept turns taken items into records, spools them, and files them.
func (x *exporter) accept(items []item) {
	recs := make([]*record, 0, len(items))
	var billable int64
	for i := range items {
		if r := x.toRecord(&items[i]); r != nil {
			recs = append(recs, r)
			if r.billable() {
				billable++
			}
		}
	}
	x.t.pending.Add(billable)
	x.spoolAppend(recs)
	for _, r := range recs {
		x.file(r)
	}
}

// toRecord fixes an item's ids and maps it to the wire.
func (x *exporter) toRecord(it *item) *record {
	t := x.t
	switch it.kind {
	case kindStart:
		r := it.run
		if r.externalID == "" {
			r.externalID = newKey(keyPrefixRun)
		}
		p := r.params
		req := &wire.StartRunRequest{CustomerID: p.CustomerID, WorkflowID: p.Workflow, ExternalRunID: r.externalID,
			CorrelationID: p.CorrelationID, ParentRunID: p.ParentRunID,
			// The run started when Start was called, not when it was
			// exported: say so, as events do, so durations are real.
			Metadata: withOccurredAt(t.client.guard.filter(p.Metadata), r.started)}
		rec := &record{Kind: recStart, Run: r.externalID, Start: req, live: r}
		if r.parent != nil && req.ParentRunID == "" {
			if id := r.parent.ID(); id != "" {
				req.ParentRunID = id
			} else {
				rec.Parent = r.parent.externalID
			}
		}
		return rec
	case kindEvent:
		e := &it.ev
		if it.call.rec != nil && !x.build(it) {
			return nil
		}
		gen := e.IdempotencyKey == ""
		if gen {
			e.IdempotencyKey = newKey(keyPrefixEvent)
		}
		t.price(e)
		e.withDefaults()
		w := t.client.eventToWire(e)
		return &record{Kind: recEvent, Run: it.run.externalID, Event: &w, GenKey: gen}
	case kindUsage:
		if it.call.rec != nil && !x.build(it) {
			return nil
		}
		p := it.usage
		if p.IdempotencyKey == "" {
			p.IdempotencyKey = newKey(keyPrefixTrack)
		}
		w := t.client.usageToWire(p)
		return &record{Kind: recUsage, Usage: &w, Path: p.Mode.path()}
	case kindEnd:
		r, p := it.run, *it.end
		if at := r.endedAt.Load(); at != 0 {
			p.Metadata = withOccurredAt(p.Metadata, time.Unix(0, at))
		}
		return &record{Kind: recEnd, Run: r.externalID, End: endRunRequest(t.client, &p)}
	}
	return nil
}

// build makes the record of an item's deferred call (item.call) and says
// whether there is a valid one. One with nothing to record is no longer
// counted as accepted; an invalid one is reported and counted as
// dead-lettered.
func (x *exporter) build(it *item) bool {
	t := x.t
	if !it.call.build(it) {
		t.queue.forget()
		return false
	}
	kind, err := recUsage, error(nil)
	if it.kind == kindEvent {
		if it.ev.Timestamp.IsZero() {
			it.ev.Timestamp = time.Now()
		}
		kind, err = recEvent, it.ev.validate("Run.Emit", false)
	} else {
		err = it.usage.validate("Tracker.TrackUsage")
	}
	if err != nil {
		t.deadLettered.Add(1)
		t.report(kind, err, 1)
		return false
	}
	return true
}

// spoolAppend writes records to the spool, if there is one. A full spool
// keeps the records in memory (they are delivered, but not durably) and
// makes the tracker refuse new items until it has room.
func (x *exporter) spoolAppend(recs []*record) {
	t := x.t
	if t.spool == nil || len(recs) == 0 {
		return
	}
	data := make([][]byte, len(recs))
	for i, r := range recs {
		data[i], _ = json.Marshal(r) // plain structs: cannot fail
	}
	seqs, err := t.spool.Append(data)
	if err != nil {
		full := errors.Is(err, spool.ErrFull)
		t.spoolFull.Store(full)
		t.report("spool", &Error{Op: "Tracker.spool", Code: CodeSpoolFull,
			Message: "spool cannot take more records; new items are refused until it has room: " + err.Error()}, 0)
		return
	}
	t.spoolFull.Store(false)
	for i, r := range recs {
		r.seq = seqs[i]
	}
	t.spooled.Add(int64(len(seqs)))
}

// replay files the records a previous process left in the spool, and ends
// the runs it left open as FAILED/ABANDONED.
func (x *exporter) replay(recs []spool.Record) {
	if len(recs) == 0 {
		return
	}
	t := x.t
	var billable int64
	for _, sr := range recs {
		r := &record{}
		if err := json.Unmarshal(sr.Data, r); err != nil {
			t.spool.DeadLetter(sr.Seq, sr.Data, "unreadable spool record: "+err.Error())
			continue
		}
		r.seq = sr.Seq
		t.spooled.Add(1)
		if r.billable() {
			billable++
		}
		x.file(r)
	}
	t.replayed.Add(billable)
	t.pending.Add(billable)
	var ends []*record
	for _, rs := range x.runs {
		if rs.end == nil {
			ends = append(ends, &record{Kind: recEnd, Run: rs.ext, End: &wire.EndRunRequest{
				Status: string(RunFailed), ErrorCode: CodeAbandoned,
				ErrorMessage: "the process recording the run stopped before ending it"}})
		}
	}
	x.spoolAppend(ends)
	for _, r := range ends {
		x.file(r)
	}
	t.log.LogAttrs(context.Background(), slog.LevelInfo, "drip: delivering records left in the spool",
		slog.Int("records", len(recs)), slog.Int("runs", len(x.runs)))
}

// file puts a record where it waits for its request.
func (x *exporter) file(r *record) {
	x.nextOrd++
	r.ord = x.nextOrd
	x.open++
	if r.Kind == recUsage {
		x.usage = append(x.usage, r)
		return
	}
	rs := x.runs[r.Run]
	switch r.Kind {
	case recStart:
		if rs != nil && rs.start != nil {
			// Started again with the same externalRunId (two bridges on
			// one span, say): the API answers with the same run.
			if r.live != nil {
				rs.also = append(rs.also, r.live)
				x.live[r.live] = rs
				if rs.id != "" {
					r.live.id.Store(&rs.id)
				}
			}
			x.resolve(outcome{rec: r})
			x.release(r)
			return
		}
		if rs == nil {
			rs = &runState{ext: r.Run}
			x.runs[r.Run] = rs
		}
		rs.start = r
		if r.live != nil {
			rs.run = r.live
			x.live[r.live] = rs
		}
		if r.Parent != "" {
			if p := x.runs[r.Parent]; p != nil {
				rs.parent = p
				p.children = append(p.children, rs)
			}
		}
	case recEvent, recEnd:
		switch {
		case rs == nil && r.Kind == recEnd:
			// Its run was ended already (by another Run with the same
			// externalRunId) or never started: nothing left to end.
			x.resolve(outcome{rec: r})
			return
		case rs == nil:
			x.resolve(outcome{rec: r, err: &Error{Op: "Tracker", Code: CodeNotFound,
				Message: "event of a run that was ended or never started"}, dead: true, reason: "no open run"})
			return
		case r.Kind == recEvent:
			rs.events = append(rs.events, r)
		case rs.end != nil:
			x.resolve(outcome{rec: r}) // only the first end counts
			return
		default:
			rs.end = r
		}
	}
	x.markReady(rs)
}

func (x *exporter) markReady(rs *runState) {
	if !rs.ready && x.hasWork(rs) {
		rs.ready = true
		x.ready = append(x.ready, rs)
	}
}

// hasWork reports whether rs can send its next request now.
func (x *exporter) hasWork(rs *runState) bool {
	switch {
	case rs.err != nil:
		return false
	case rs.id == "":
		return rs.inflight == 0 && rs.start != nil &&
			(rs.parent == nil || rs.parent.id != "" || rs.parent.err != nil || x.runs[rs.parent.ext] != rs.parent)
	case len(rs.events) > 0:
		return true
	}
	return rs.end != nil && rs.inflight == 0
}

// schedule starts requests while there is work and room. It returns when
// a 429's Retry-After lets nothing new start before, else zero.
func (x *exporter) schedule() time.Time {
	t := x.t
	limit, paused := t.conc.limit()
	if !paused.IsZero() {
		return paused
	}
	for x.inFlight < limit && (len(x.ready) > 0 || len(x.usage) > 0) {
		x.usageNext = !x.usageNext
		if len(x.usage) > 0 && (len(x.ready) == 0 || x.usageNext) {
			r := x.usage[0]
			x.usage[0] = nil // the array outlives the record otherwise
			x.usage = x.usage[1:]
			x.launch(nil, func() jobResult { return jobResult{outcomes: t.sendUsage(r)} })
			continue
		}
		rs := x.ready[0]
		x.ready = x.ready[1:]
		rs.ready = false
		if !x.hasWork(rs) {
			continue
		}
		rs.inflight++
		switch {
		case rs.id == "" && x.recordable(rs):
			start, events, end := rs.start, rs.events, rs.end
			rs.events = nil
			x.launch(rs, func() jobResult { return t.sendRecord(start, events, end) })
		case rs.id == "":
			start := rs.start
			if start.Start.ParentRunID == "" && rs.parent != nil {
				start.Start.ParentRunID = rs.parent.id
			}
			x.launch(rs, func() jobResult { return t.sendStart(start) })
		case len(rs.events) > 0:
			n := min(len(rs.events), t.cfg.maxBatch)
			batch := rs.events[:n:n]
			if rs.events = rs.events[n:]; len(rs.events) == 0 {
				rs.events = nil // appends would reuse the batch's array, keeping its records
			}
			id := rs.id
			x.launch(rs, func() jobResult { return jobResult{outcomes: t.sendEvents(id, batch)} })
			x.markReady(rs) // more batches of it may go beside this one
		default:
			end, id := rs.end, rs.id
			x.launch(rs, func() jobResult { return jobResult{outcomes: t.sendEnd(id, end)} })
		}
	}
	return time.Time{}
}

// recordable reports whether rs, whole in hand before its start was sent,
// can go out as one POST /runs/record: a run with no parent whose events
// carry nothing that request cannot (their own keys, span ids,
// correlation ids), and not too many of them.
func (x *exporter) recordable(rs *runState) bool {
	if x.noRecord || rs.noRecord || rs.end == nil || rs.parent != nil || rs.start.Parent != "" ||
		rs.start.Start.ParentRunID != "" || len(rs.events) > x.t.cfg.maxBatch {
		return false
	}
	for _, r := range rs.events {
		e := r.Event
		if !r.GenKey || e.SpanID != "" || e.ParentEventID != "" || e.CorrelationID != "" {
			return false
		}
	}
	return true
}

func (x *exporter) launch(rs *runState, job func() jobResult) {
	x.inFlight++
	go func() {
		res := job()
		res.rs = rs
		x.results <- res
	}()
}

// finish applies a finished request's outcomes.
func (x *exporter) finish(res jobResult) {
	x.inFlight--
	t := x.t
	rs := res.rs
	if rs != nil && res.pending != nil {
		// A run POST /runs/record did not take: its events are its own
		// again, to go the long way or to fail with its start.
		rs.events = append(res.pending, rs.events...)
	}
	if res.unrecorded {
		rs.noRecord = true
	}
	// A 404 may be the API's "no such route" or a missing customer: only
	// several in a row, with no run recorded between, mean the endpoint
	// is not there.
	switch {
	case res.noRoute:
		if x.recordMisses++; x.recordMisses >= 3 {
			x.noRecord = true
		}
	case res.recorded:
		x.recordMisses = 0
	}
	// What callers can see (run ids, start errors, counters) is set before
	// the outcomes complete any Flush waiting for them.
	if rs != nil && res.id != "" {
		rs.id = res.id
		for _, r := range rs.runs() {
			r.id.Store(&res.id)
		}
		t.runsStarted.Add(1)
	}
	for _, o := range res.outcomes {
		switch {
		case rs == nil:
		case o.rec.Kind == recStart && o.err != nil:
			rs.err = o.err
			err := o.err
			for _, r := range rs.runs() {
				r.startErr.Store(&err)
			}
		case o.rec.Kind == recEnd && o.err == nil:
			t.runsEnded.Add(1)
		}
	}
	for _, o := range res.outcomes {
		x.resolve(o)
		switch {
		case rs == nil:
		case o.rec.Kind == recStart && o.err != nil:
			x.failRun(rs)
		case o.rec.Kind == recEnd:
			x.closeRun(rs)
		}
	}
	if rs != nil && res.id != "" {
		// Children waiting for this id may go now; none waits after, so
		// a long-lived run does not keep every child it had.
		for _, c := range rs.children {
			x.markReady(c)
		}
		rs.children = nil
	}
	if rs != nil && x.runs[rs.ext] == rs {
		rs.inflight--
		x.markReady(rs)
	}
	x.flushReleases()
}

// failRun resolves the records of a run whose start was refused.
func (x *exporter) failRun(rs *runState) {
	why := "run start refused: " + rs.err.Error()
	for _, r := range rs.events {
		x.resolve(outcome{rec: r, err: rs.err, dead: isPermanent(rs.err), reason: why})
	}
	rs.events = nil
	if rs.end != nil {
		x.resolve(outcome{rec: rs.end, err: rs.err, dead: isPermanent(rs.err), reason: why})
	}
	x.closeRun(rs)
}

// closeRun forgets a run whose end is resolved, releasing its start from
// the spool: while the run is open the start stays there, so a replay can
// learn the run's id again.
func (x *exporter) closeRun(rs *runState) {
	if rs.start != nil {
		x.release(rs.start)
	}
	delete(x.runs, rs.ext)
	for _, r := range rs.runs() {
		delete(x.live, r)
	}
	for _, c := range rs.children {
		x.markReady(c)
	}
}

// resolve counts a record's outcome, releases it from the spool (or
// dead-letters it) and completes the flushes waiting for it.
func (x *exporter) resolve(o outcome) {
	t := x.t
	r := o.rec
	x.open--
	// Counted before the flushes waiting for it complete, so a Flush that
	// returns sees this outcome in Stats.
	defer x.completeFlushes(r)
	billable := r.billable()
	if billable {
		t.pending.Add(-1)
	}
	switch {
	case o.err == nil:
		if billable {
			t.sent.Add(1)
			if t.metrics != nil {
				t.metrics.sent.Add(context.Background(), 1)
			}
		}
		// A start stays spooled until its run ends (closeRun).
		if r.Kind != recStart {
			x.release(r)
		}
	case o.dead:
		if billable {
			t.deadLettered.Add(1)
		}
		if r.seq != 0 {
			data, _ := json.Marshal(r)
			if err := t.spool.DeadLetter(r.seq, data, o.reason); err != nil {
				t.report("spool", err, 0)
			}
			r.seq = 0
			t.spooled.Add(-1)
		}
		t.report(r.Kind, o.err, 1)
	default:
		if billable {
			if t.exportCtx.Err() != nil {
				t.dropped.Add(1)
			} else {
				t.failed.Add(1)
				if t.metrics != nil {
					t.metrics.failed.Add(context.Background(), 1)
				}
			}
		}
		// With a spool the record stays on disk for the next tracker.
		t.report(r.Kind, o.err, 1)
	}
}

// release removes a delivered record from the spool, if it is there.
func (x *exporter) release(r *record) {
	if r.seq == 0 {
		return
	}
	x.released = append(x.released, r.seq)
	r.seq = 0
	x.t.spooled.Add(-1)
}

// flushReleases writes the releases gathered since the last call: one
// write per segment rather than one per record.
func (x *exporter) flushReleases() {
	if len(x.released) == 0 {
		return
	}
	if err := x.t.spool.Release(x.released...); err != nil {
		x.t.report("spool", err, 0)
	}
	x.released = x.released[:0]
}

// completeFlushes counts r as resolved for the flushes waiting for it and
// completes those with nothing left to wait for.
func (x *exporter) completeFlushes(r *record) {
	for i := 0; i < len(x.flushes); {
		f := x.flushes[i]
		if r.ord <= f.upTo {
			f.remaining--
		}
		if f.remaining <= 0 {
			close(f.done)
			x.flushes = append(x.flushes[:i], x.flushes[i+1:]...)
			continue
		}
		i++
	}
}

// flushWhenDone closes req once every record taken so far is resolved.
func (x *exporter) flushWhenDone(req chan struct{}) {
	if x.open == 0 {
		close(req)
		return
	}
	x.flushes = append(x.flushes, &flushWait{upTo: x.nextOrd, remaining: x.open, done: req})
}

// abandonOpenRuns ends the runs nobody ended.
func (x *exporter) abandonOpenRuns() {
	var ends []*record
	for r, rs := range x.live {
		if rs.end != nil {
			continue
		}
		end := r.loadEnd() // ended by the caller after the final drain: its end item was refused
		if r.state.CompareAndSwap(runOpen, runEnded) {
			end = EndRunParams{Status: RunFailed, ErrorCode: CodeAbandoned,
				ErrorMessage: "run was not ended before the tracker shut down"}
		}
		ends = append(ends, &record{Kind: recEnd, Run: rs.ext, End: endRunRequest(x.t.client, &end)})
	}
	x.spoolAppend(ends)
	for _, r := range ends {
		x.file(r)
	}
}
