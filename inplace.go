package drip

import (
	"time"

	"github.com/drip-sdk/drip-go/internal/inplace"
)

// otelbridge's in-place path: see internal/inplace.
func init() {
	inplace.Reserve = (*Run).reserveEvent
	inplace.Publish = (*Run).publishEvent
}

// reserveEvent claims a queue slot for an event of r and returns its zero
// event and span reference for the caller to fill, then publishEvent: Run.Emit
// with the event built where the exporter reads it rather than copied
// there. It refuses, and counts, as Emit does; under WithBlockOnFull it
// waits for room as Emit does. The exporter waits at the slot until it is
// published, so the caller must not block in between and must publish
// whatever happens.
func (r *Run) reserveEvent() (*Event, *inplace.SpanRef, uint64, error) {
	if r.err != nil {
		return nil, nil, 0, r.err
	}
	s, pos, err := r.claim()
	if err != nil {
		return nil, nil, 0, err
	}
	s.it.kind, s.it.run = kindEvent, r
	return &s.it.ev, &s.it.span, pos, nil
}

// publishEvent validates the event in the slot reserveEvent returned pos
// for, stamps it if it has no span (and no Timestamp), and hands the slot
// to the exporter. An invalid event cannot be taken back out of the queue:
// its slot is published as one the exporter skips.
func (r *Run) publishEvent(pos uint64) error {
	q := r.t.queue
	s := &q.slots[pos&q.mask]
	e := &s.it.ev
	err := e.validate("Run.Emit", false)
	if err != nil {
		s.it = item{kind: kindSkip}
	} else if e.Timestamp.IsZero() && s.it.span.Span == nil {
		e.Timestamp = time.Now()
	}
	q.publish(s, pos)
	return err
}
