package dripserver

import "github.com/drip-sdk/drip-go/internal/wire"

// The service announces what it committed on the live stream through
// these, from inside the write transaction: the message goes out after the
// commit (txn.afterCommit), never for a write that rolled back, and only
// when someone is listening.

// liveRunEvent is a run.event message: the timeline's event plus its run.
type liveRunEvent struct {
	wire.TimelineEvent
	RunID string `json:"runId"`
}

// liveUsage is a usage.recorded message.
type liveUsage struct {
	UsageEventID string  `json:"usageEventId"`
	CustomerID   string  `json:"customerId"`
	UsageType    string  `json:"usageType"`
	Quantity     float64 `json:"quantity"`
	ChargeID     *string `json:"chargeId"`
	CreatedAt    string  `json:"createdAt"`
}

func (s *service) announceRunStarted(t *txn, r Run) {
	if s.live.active() {
		t.afterCommit(func() { s.live.publish(LiveRunStarted, runDetailsWire(r)) })
	}
}

// announceRunEnded reads the run back so the message carries its final
// totals.
func (s *service) announceRunEnded(t *txn, id string) error {
	if !s.live.active() {
		return nil
	}
	r, ok, err := t.runByID(id)
	if err != nil || !ok {
		return err
	}
	t.afterCommit(func() { s.live.publish(LiveRunEnded, runDetailsWire(r)) })
	return nil
}

// announceEvents announces the events items stored (not the duplicates or
// the skipped ones), encoding them only after the commit.
func (s *service) announceEvents(t *txn, items []batchItem) {
	if !s.live.active() {
		return
	}
	t.afterCommit(func() {
		for _, it := range items {
			if it.duplicate || it.skipped != "" || it.event.ID == "" {
				continue
			}
			s.live.publish(LiveRunEvent, liveRunEvent{TimelineEvent: timelineEventWire(it.event), RunID: it.event.RunID})
		}
	})
}

func (s *service) announceUsage(t *txn, rec UsageRecord, ch *Charge) {
	if !s.live.active() {
		return
	}
	msg := liveUsage{UsageEventID: rec.ID, CustomerID: rec.CustomerID, UsageType: rec.UsageType,
		Quantity: rec.Quantity, CreatedAt: formatTime(rec.CreatedAt)}
	if ch != nil {
		msg.ChargeID = &ch.ID
	}
	t.afterCommit(func() { s.live.publish(LiveUsageRecorded, msg) })
}
