package drip

import (
	"context"
	"maps"
	"math"
	"strconv"
	"sync"
)

// CodeFlushRejected is the code of the *Error a StreamMeter flush returns
// when Drip answered without accepting the usage (success false).
const CodeFlushRejected = "FLUSH_REJECTED"

// keyPrefixStream prefixes a flush's idempotency key when the meter has no
// base key, as the official clients do.
const keyPrefixStream = "stream"

// StreamMeterParams configures NewStreamMeter.
type StreamMeterParams struct {
	// CustomerID is the Drip customer billed. Required.
	CustomerID string
	// Meter is the usage type, e.g. "llm_tokens". Required.
	Meter string
	// Units labels the quantity, e.g. "tokens". Optional.
	Units string
	// IdempotencyKey is the base of the flushes' keys: flush n (counted
	// from 0, failed flushes included) is sent with <key>_flush_<n>, so the
	// keys are the same in every process that replays the stream. Without
	// it each flush gets a fresh random key.
	IdempotencyKey string
	// Metadata goes with every flush; operational context only, see
	// MetadataGuard.
	Metadata map[string]any
	// FlushThreshold makes Add flush on its own once the unflushed total
	// reaches it, for long streams billed as they go. 0 means never.
	FlushThreshold float64
	// OnAdd is called after each accepted quantity with it and the new
	// total. It runs on the caller's goroutine, outside the meter's lock.
	OnAdd func(quantity, total float64)
	// OnFlush is called after each successful flush that sent usage.
	OnFlush func(StreamFlushResult)
}

// StreamFlushResult is what a flush did.
type StreamFlushResult struct {
	Success bool
	// Quantity is what the flush billed: 0 when there was nothing to send.
	Quantity float64
	// Charge is the charge Drip created, nil when nothing was billed.
	Charge *Charge
	// IsDuplicate is true when Drip had already recorded this flush's key.
	IsDuplicate bool
	// IdempotencyKey is the key the usage was sent with ("" when nothing
	// was sent).
	IdempotencyKey string
}

// StreamMeter adds up usage as it happens, a streamed LLM response token by
// token for instance, and bills the total in one usage call (POST /usage)
// when flushed, instead of one call per chunk. It is safe for concurrent
// use.
//
// A flush sends the whole unflushed total. On success that amount is taken
// off the total; usage added while the call was in flight stays for the
// next flush, and a failed flush keeps everything. Each flush counts as an
// attempt before it sends, so flushing again after a failure uses a new
// idempotency key (the client's own retries inside one flush share one).
// A Flush while another is running shares its call and its result.
type StreamMeter struct {
	c *Client
	p StreamMeterParams

	mu       sync.Mutex
	total    float64
	gen      uint64 // bumped by Reset: an in-flight flush then has nothing to subtract
	attempts int    // flushes that sent, or tried to send, usage
	flushed  bool
	inflight *streamFlush
}

// streamFlush is one flush call, shared by every Flush that arrives while
// it runs.
type streamFlush struct {
	qty  float64
	key  string
	gen  uint64
	done chan struct{}
	res  *StreamFlushResult
	err  error
	// joined counts the Flush calls sharing it (tests wait on it).
	joined int
}

// NewStreamMeter returns a meter for one customer and meter. Bad
// parameters are a VALIDATION_ERROR naming the field; nothing is sent until
// the first flush.
func NewStreamMeter(c *Client, p StreamMeterParams) (*StreamMeter, error) {
	const op = "NewStreamMeter"
	if c == nil {
		return nil, validationError(op, "client", "client is required")
	}
	if p.CustomerID == "" {
		return nil, validationError(op, "customerId", "customerId is required")
	}
	u := UsageParams{CustomerID: p.CustomerID, Meter: p.Meter, Units: p.Units, Metadata: p.Metadata,
		IdempotencyKey: p.IdempotencyKey}
	if err := u.validate(op); err != nil {
		return nil, err
	}
	// Room for the "_flush_<n>" suffix within the key limit.
	if len(p.IdempotencyKey) > MaxIDLength-32 {
		return nil, validationError(op, "idempotencyKey", "idempotencyKey must be at most "+strconv.Itoa(MaxIDLength-32)+" bytes: flushes add a suffix")
	}
	if !quantityOK(p.FlushThreshold) {
		return nil, validationError(op, "flushThreshold", "flushThreshold must be a finite number >= 0 and at most 1e15")
	}
	p.Metadata = maps.Clone(p.Metadata) // the caller may reuse its map
	return &StreamMeter{c: c, p: p}, nil
}

// Add adds quantity to the total. A quantity <= 0 is ignored, as Drip's
// clients do; a quantity that is not a finite number at most MaxQuantity
// is refused with a VALIDATION_ERROR. When FlushThreshold is set, the
// total has reached it and no flush is running, Add flushes and returns
// that flush's result; otherwise the result is nil.
func (m *StreamMeter) Add(ctx context.Context, quantity float64) (*StreamFlushResult, error) {
	if !(quantity > 0) { // NaN too
		if math.IsNaN(quantity) {
			return nil, validationError("StreamMeter.Add", "quantity", "quantity must be a finite number")
		}
		return nil, nil
	}
	if quantity > MaxQuantity {
		return nil, validationError("StreamMeter.Add", "quantity", "quantity must be a finite number at most 1e15")
	}
	m.mu.Lock()
	m.total += quantity
	total := m.total
	var f *streamFlush
	if th := m.p.FlushThreshold; th > 0 && total >= th && m.inflight == nil {
		f = m.startLocked()
	}
	m.mu.Unlock()
	if m.p.OnAdd != nil {
		m.p.OnAdd(quantity, total)
	}
	if f == nil {
		return nil, nil
	}
	return m.send(ctx, f)
}

// Accumulate adds quantity to the total and never flushes: for the hot
// loop of a stream, with Flush at its end. Quantities Add would ignore or
// refuse are ignored.
func (m *StreamMeter) Accumulate(quantity float64) {
	if !(quantity > 0) || quantity > MaxQuantity {
		return
	}
	m.mu.Lock()
	m.total += quantity
	total := m.total
	m.mu.Unlock()
	if m.p.OnAdd != nil {
		m.p.OnAdd(quantity, total)
	}
}

// Flush bills the unflushed total in one usage call (POST /usage) and
// returns what it did. With nothing to bill it sends nothing and returns
// {Success: true, Quantity: 0}. A Flush called while another runs waits
// for that one and returns its result: the call runs on the first caller's
// context, so cancelling that context fails every caller waiting on it.
// A flush that fails keeps the total for the next one.
func (m *StreamMeter) Flush(ctx context.Context) (*StreamFlushResult, error) {
	m.mu.Lock()
	if f := m.inflight; f != nil {
		f.joined++
		m.mu.Unlock()
		return f.wait(ctx)
	}
	if m.total <= 0 {
		m.mu.Unlock()
		return &StreamFlushResult{Success: true}, nil
	}
	f := m.startLocked()
	m.mu.Unlock()
	return m.send(ctx, f)
}

// startLocked begins a flush of the whole total; m.mu is held.
func (m *StreamMeter) startLocked() *streamFlush {
	f := &streamFlush{qty: m.total, gen: m.gen, done: make(chan struct{})}
	if m.p.IdempotencyKey != "" {
		f.key = m.p.IdempotencyKey + "_flush_" + strconv.Itoa(m.attempts)
	} else {
		f.key = newKey(keyPrefixStream)
	}
	m.attempts++ // before sending: flushing again after a failure takes a new key
	m.inflight = f
	return f
}

// send makes f's usage call, settles the total and wakes f's waiters.
func (m *StreamMeter) send(ctx context.Context, f *streamFlush) (*StreamFlushResult, error) {
	res, err := m.c.TrackUsage(ctx, UsageParams{CustomerID: m.p.CustomerID, Meter: m.p.Meter, Units: m.p.Units,
		Quantity: f.qty, IdempotencyKey: f.key, Metadata: m.p.Metadata, Mode: UsageSync})
	if err == nil && !res.Success {
		err = &Error{Op: "StreamMeter.Flush", Code: CodeFlushRejected,
			Message: "Drip did not accept the flushed usage; the total is kept"}
	}
	m.mu.Lock()
	m.inflight = nil
	if err == nil {
		f.res = &StreamFlushResult{Success: true, Quantity: f.qty, Charge: res.Charge,
			IsDuplicate: res.IsDuplicate, IdempotencyKey: f.key}
		if f.gen == m.gen { // a Reset meanwhile already dropped it
			m.total = max(m.total-f.qty, 0)
		}
		m.flushed = true
	}
	f.err = err
	m.mu.Unlock()
	if err == nil && m.p.OnFlush != nil {
		m.p.OnFlush(*f.res)
	}
	close(f.done)
	return f.result()
}

// wait waits for f, or for ctx to end.
func (f *streamFlush) wait(ctx context.Context) (*StreamFlushResult, error) {
	select {
	case <-f.done:
		return f.result()
	case <-ctx.Done():
		return nil, &Error{Op: "StreamMeter.Flush", Code: CodeTimeout,
			Message: "context done while waiting for a flush in flight: " + ctx.Err().Error(), Err: ctx.Err()}
	}
}

// result is f's outcome; each caller gets its own copy.
func (f *streamFlush) result() (*StreamFlushResult, error) {
	if f.err != nil {
		return nil, f.err
	}
	r := *f.res
	return &r, nil
}

// Reset discards the unflushed total without sending anything. A flush in
// flight still completes; what it bills is no longer subtracted.
func (m *StreamMeter) Reset() {
	m.mu.Lock()
	m.total = 0
	m.gen++
	m.mu.Unlock()
}

// Total returns the quantity not yet billed, including any a flush in
// flight is sending.
func (m *StreamMeter) Total() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.total
}

// Flushed reports whether a flush has succeeded at least once.
func (m *StreamMeter) Flushed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.flushed
}

// FlushCount returns how many flushes sent, or tried to send, usage.
func (m *StreamMeter) FlushCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.attempts
}
