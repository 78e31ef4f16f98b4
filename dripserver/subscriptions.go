package dripserver

import (
	"context"
	"math"
	"net/http"
	"time"

	"github.com/drip-sdk/drip-go/internal/money"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// Subscriptions bill a customer priceUsdc per period (a day, a week, a
// month or a year). dripd renews lazily: whenever a subscription is read,
// listed or changed, and whenever its customer's usage is priced, every
// period that ended by the clock (s.now) is closed in order, so the result
// does not depend on when the evaluation happens. At each renewal:
//
//   - a trial (trialDays) that ended turns TRIALING into ACTIVE
//     (subscription.trial_ended) and the first paid period starts at the
//     trial's end;
//   - a subscription set to cancel at period end becomes CANCELLED
//     (subscription.cancelled);
//   - otherwise the next period starts where the last ended and priceUsdc
//     is charged against the balance: confirmed, the subscription is ACTIVE
//     (subscription.renewed); refused for want of balance, it is PAST_DUE
//     (subscription.payment_failed) and the next period tries again.
//
// Periods keep their anchor: a monthly subscription started on January 31
// renews on February 28 (29), then March 31. A paused subscription is
// neither renewed nor charged; resuming (by hand, or at resumeDate) starts
// a new period at once and charges it. Cancelling immediately ends the
// subscription without a refund. The usage it includes (includedUsage of
// overageUnitType) is free within each period; usage beyond is charged at
// the unit type's price (usageAmount in account.go).

// Subscription statuses and intervals.
const (
	subActive    = "ACTIVE"
	subPaused    = "PAUSED"
	subCancelled = "CANCELLED"
	subExpired   = "EXPIRED"
	subPastDue   = "PAST_DUE"
	subTrialing  = "TRIALING"

	intervalDaily   = "DAILY"
	intervalWeekly  = "WEEKLY"
	intervalMonthly = "MONTHLY"
	intervalAnnual  = "ANNUAL"
)

var (
	subStatuses  = []string{subActive, subPaused, subCancelled, subExpired, subPastDue, subTrialing}
	subIntervals = []string{intervalDaily, intervalWeekly, intervalMonthly, intervalAnnual}
)

// Webhook events of subscriptions.
const (
	eventSubCreated       = "subscription.created"
	eventSubRenewed       = "subscription.renewed"
	eventSubCancelled     = "subscription.cancelled"
	eventSubPaused        = "subscription.paused"
	eventSubResumed       = "subscription.resumed"
	eventSubTrialEnded    = "subscription.trial_ended"
	eventSubPaymentFailed = "subscription.payment_failed"
)

// maxTrialDays bounds trialDays: ten years.
const maxTrialDays = 3650

// maxRenewals bounds the periods one evaluation closes, so a clock moved
// centuries ahead cannot stall a request; the rest close on the next one.
const maxRenewals = 5000

// subscription is a stored subscription. Periods are computed from Anchor
// (the start of the first paid period since the last resume) and Index
// (the current period's number from it; -1 during a trial).
type subscription struct {
	ID                string         `json:"id"`
	CustomerID        string         `json:"customerId"`
	Name              string         `json:"name"`
	Description       string         `json:"description,omitempty"`
	Interval          string         `json:"interval"`
	Price             string         `json:"price"`
	Status            string         `json:"status"`
	Anchor            time.Time      `json:"anchor"`
	Index             int            `json:"index"`
	PeriodStart       time.Time      `json:"periodStart"`
	PeriodEnd         time.Time      `json:"periodEnd"`
	CancelledAt       time.Time      `json:"cancelledAt"`
	CancelAtPeriodEnd bool           `json:"cancelAtPeriodEnd"`
	PausedAt          time.Time      `json:"pausedAt"`
	ResumesAt         time.Time      `json:"resumesAt"`
	TrialStart        time.Time      `json:"trialStart"`
	TrialEnd          time.Time      `json:"trialEnd"`
	IncludedUsage     *float64       `json:"includedUsage,omitempty"`
	OverageUnitType   string         `json:"overageUnitType,omitempty"`
	Metadata          map[string]any `json:"metadata,omitempty"`
	CreatedAt         time.Time      `json:"createdAt"`
	UpdatedAt         time.Time      `json:"updatedAt"`
}

// live reports whether sub is running: its included usage counts and its
// period is the customer's billing period.
func (sub *subscription) live() bool {
	return sub.Status == subActive || sub.Status == subTrialing || sub.Status == subPastDue
}

func (sub *subscription) ended() bool { return sub.Status == subCancelled || sub.Status == subExpired }

// addInterval is anchor plus n intervals. Months and years keep the
// anchor's day, clamped to the month's last day.
func addInterval(anchor time.Time, interval string, n int) time.Time {
	switch interval {
	case intervalDaily:
		return anchor.AddDate(0, 0, n)
	case intervalWeekly:
		return anchor.AddDate(0, 0, 7*n)
	}
	months := n
	if interval == intervalAnnual {
		months = 12 * n
	}
	y, m, d := anchor.Date()
	first := time.Date(y, m+time.Month(months), 1, anchor.Hour(), anchor.Minute(), anchor.Second(), anchor.Nanosecond(), time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

func (sub *subscription) setPeriod(index int) {
	sub.Index = index
	sub.PeriodStart = addInterval(sub.Anchor, sub.Interval, index)
	sub.PeriodEnd = addInterval(sub.Anchor, sub.Interval, index+1)
}

func (t *txn) saveSubscription(sub subscription) error {
	return t.putAccountDoc(tableSubscriptions, sub.ID, sub.CustomerID, sub.Status, sub)
}

// startPaidPeriod starts a period at anchor and charges it: ACTIVE when the
// charge confirms, PAST_DUE when it fails.
func (s *service) startPaidPeriod(t *txn, c Customer, sub *subscription, anchor time.Time, event string) error {
	sub.Anchor = anchor
	sub.setPeriod(0)
	return s.chargePeriod(t, c, sub, event)
}

// chargePeriod charges the current period's price and queues event (or
// payment_failed).
func (s *service) chargePeriod(t *txn, c Customer, sub *subscription, event string) error {
	price := rat(sub.Price)
	if price.Sign() > 0 {
		ch, err := s.chargeCustomer(t, c, sub.ID, price)
		if err != nil {
			return err
		}
		if ch.Status == ChargeFailed {
			sub.Status = subPastDue
			return s.notifySub(t, eventSubPaymentFailed, *sub, map[string]any{"chargeId": ch.ID, "failureReason": ch.FailureReason})
		}
	}
	sub.Status = subActive
	if event == "" {
		return nil
	}
	return s.notifySub(t, event, *sub, nil)
}

// notifySub queues a subscription event: the subscription as the API
// replies it, plus extra fields.
func (s *service) notifySub(t *txn, typ string, sub subscription, extra map[string]any) error {
	data := map[string]any{"subscription": subscriptionWire(sub)}
	for k, v := range extra {
		data[k] = v
	}
	return s.notify(t, typ, sub.CustomerID, sub.OverageUnitType, data)
}

// advance closes every period of sub that ended by now (see the file
// comment). It reports whether sub changed.
func (s *service) advance(t *txn, sub *subscription, now time.Time) (bool, error) {
	changed := false
	var c Customer
	customer := func() (Customer, error) {
		if c.ID != "" {
			return c, nil
		}
		var err error
		c, err = t.resolveCustomer(sub.CustomerID)
		return c, err
	}
	for range maxRenewals {
		switch {
		case sub.ended():
			return changed, nil
		case sub.Status == subPaused:
			if sub.ResumesAt.IsZero() || now.Before(sub.ResumesAt) {
				return changed, nil
			}
			cu, err := customer()
			if err != nil {
				return changed, err
			}
			if err := s.resume(t, cu, sub, sub.ResumesAt); err != nil {
				return changed, err
			}
		case now.Before(sub.PeriodEnd):
			return changed, nil
		case sub.CancelAtPeriodEnd:
			sub.Status, sub.CancelledAt = subCancelled, sub.PeriodEnd
			if err := s.notifySub(t, eventSubCancelled, *sub, nil); err != nil {
				return changed, err
			}
		default:
			cu, err := customer()
			if err != nil {
				return changed, err
			}
			if sub.Status == subTrialing {
				sub.Status = subActive
				if err := s.notifySub(t, eventSubTrialEnded, *sub, nil); err != nil {
					return changed, err
				}
			}
			sub.setPeriod(sub.Index + 1)
			if err := s.chargePeriod(t, cu, sub, eventSubRenewed); err != nil {
				return changed, err
			}
		}
		changed = true
		sub.UpdatedAt = now
	}
	return changed, nil
}

// resume ends a pause at at: a new period starts then and is charged.
func (s *service) resume(t *txn, c Customer, sub *subscription, at time.Time) error {
	sub.PausedAt, sub.ResumesAt = time.Time{}, time.Time{}
	if sub.Status = subActive; !sub.TrialEnd.IsZero() && at.Before(sub.TrialEnd) {
		// Still in the trial: it resumes, unpaid, until the trial ends.
		sub.Status, sub.Anchor, sub.Index = subTrialing, sub.TrialEnd, -1
		sub.PeriodStart, sub.PeriodEnd = at, sub.TrialEnd
		return s.notifySub(t, eventSubResumed, *sub, nil)
	}
	return s.startPaidPeriod(t, c, sub, at, eventSubResumed)
}

// advanceCustomer renews every subscription of a customer.
func (s *service) advanceCustomer(t *txn, customerID string, now time.Time) error {
	subs, _, err := customerDocs[subscription](t, tableSubscriptions, customerID, "", false, -1, 0)
	if err != nil {
		return err
	}
	for i := range subs {
		changed, err := s.advance(t, &subs[i], now)
		if err != nil {
			return err
		}
		if changed {
			if err := t.saveSubscription(subs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// subRequest is a validated create request.
type subRequest struct {
	wire.CreateSubscriptionRequest
	price string
}

func (s *service) createSubscription(ctx context.Context, req subRequest) (sub subscription, err error) {
	now := s.now()
	err = s.store.update(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(req.CustomerID)
		if err != nil {
			return err
		}
		if rat(req.price).Sign() > 0 && !canBeBilled(c) {
			if c.IsInternal {
				return &apiError{status: http.StatusBadRequest, code: CodeInternalCustomer,
					message: "customer " + c.ID + " is internal (not billed) and cannot have a paid subscription"}
			}
			return errInvalidParameter("customerId", "customer %s has no on-chain address to charge; provision it first", c.ID)
		}
		if req.OverageUnitType != "" && req.IncludedUsage == nil {
			// Without included usage every unit is overage: still valid.
			req.IncludedUsage = new(float64)
		}
		sub = subscription{ID: newID(prefixSubscription), CustomerID: c.ID, Name: req.Name, Description: req.Description,
			Interval: req.Interval, Price: req.price, IncludedUsage: req.IncludedUsage, OverageUnitType: req.OverageUnitType,
			Metadata: req.Metadata, CreatedAt: now, UpdatedAt: now}
		if req.TrialDays != nil && *req.TrialDays > 0 {
			sub.Status, sub.TrialStart, sub.TrialEnd = subTrialing, now, now.AddDate(0, 0, *req.TrialDays)
			sub.Anchor, sub.Index, sub.PeriodStart, sub.PeriodEnd = sub.TrialEnd, -1, now, sub.TrialEnd
		} else {
			sub.Anchor = now
			sub.setPeriod(0)
		}
		// The insert comes before the first charge, whose webhooks and
		// usageId name the subscription.
		if err := t.saveSubscription(sub); err != nil {
			return err
		}
		if err := s.notifySub(t, eventSubCreated, sub, nil); err != nil {
			return err
		}
		if sub.Status != subTrialing {
			if err := s.chargePeriod(t, c, &sub, ""); err != nil {
				return err
			}
		}
		return t.saveSubscription(sub)
	})
	return sub, err
}

// withSubscription runs fn on the subscription id, renewed to now, and
// stores it when fn (or the renewal) changed it. fn == nil reads.
func (s *service) withSubscription(ctx context.Context, id string, fn func(t *txn, c Customer, sub *subscription) error) (sub subscription, err error) {
	now := s.now()
	err = s.store.update(ctx, func(t *txn) error {
		var ok bool
		if sub, ok, err = docByID[subscription](t, tableSubscriptions, id); err != nil || !ok {
			if err == nil {
				err = errNotFound("subscription %q not found", id)
			}
			return err
		}
		changed, err := s.advance(t, &sub, now)
		if err != nil {
			return err
		}
		if fn != nil {
			c, err := t.resolveCustomer(sub.CustomerID)
			if err != nil {
				return err
			}
			if err := fn(t, c, &sub); err != nil {
				return err
			}
			sub.UpdatedAt, changed = now, true
		}
		if !changed {
			return nil
		}
		return t.saveSubscription(sub)
	})
	return sub, err
}

func (s *service) getSubscription(ctx context.Context, id string) (subscription, error) {
	return s.withSubscription(ctx, id, nil)
}

// listSubscriptions renews the matching customers' subscriptions, then
// lists them newest first. The status filter applies after renewal.
func (s *service) listSubscriptions(ctx context.Context, customerRef, status string, limit int) (subs []subscription, total int, err error) {
	now := s.now()
	err = s.store.update(ctx, func(t *txn) error {
		customerID := ""
		if customerRef != "" {
			c, err := t.resolveCustomer(customerRef)
			if err != nil {
				return err
			}
			customerID = c.ID
		}
		all, _, err := customerDocs[subscription](t, tableSubscriptions, customerID, "", false, -1, 0)
		if err != nil {
			return err
		}
		for i := range all {
			changed, err := s.advance(t, &all[i], now)
			if err != nil {
				return err
			}
			if changed {
				if err := t.saveSubscription(all[i]); err != nil {
					return err
				}
			}
		}
		subs, total, err = customerDocs[subscription](t, tableSubscriptions, customerID, status, true, limit, 0)
		return err
	})
	return subs, total, err
}

// subChange is a PATCH: nil fields stay.
type subChange struct {
	name, description, price, overageUnitType *string
	includedUsage                             *float64
	metadata                                  map[string]any
}

// updateSubscription changes a subscription that has not ended. A new
// price applies from the next period.
func (s *service) updateSubscription(ctx context.Context, id string, ch subChange) (subscription, error) {
	return s.withSubscription(ctx, id, func(t *txn, c Customer, sub *subscription) error {
		if sub.ended() {
			return errInvalidState("subscription %s is %s and cannot be changed", sub.ID, sub.Status)
		}
		if ch.name != nil {
			sub.Name = *ch.name
		}
		if ch.description != nil {
			sub.Description = *ch.description
		}
		if ch.price != nil {
			sub.Price = *ch.price
		}
		if ch.overageUnitType != nil {
			sub.OverageUnitType = *ch.overageUnitType
		}
		if ch.includedUsage != nil {
			sub.IncludedUsage = ch.includedUsage
		}
		if ch.metadata != nil {
			sub.Metadata = ch.metadata
		}
		return nil
	})
}

// cancelSubscription ends a subscription now (immediate) or at the end of
// its period. Cancelling an ended subscription changes nothing, so a retry
// is harmless.
func (s *service) cancelSubscription(ctx context.Context, id string, immediate bool) (subscription, error) {
	return s.withSubscription(ctx, id, func(t *txn, c Customer, sub *subscription) error {
		if sub.ended() {
			return nil
		}
		if !immediate && sub.Status != subPaused {
			sub.CancelAtPeriodEnd = true
			return nil
		}
		// A paused subscription has no running period to finish: it ends
		// now.
		sub.Status, sub.CancelledAt, sub.CancelAtPeriodEnd = subCancelled, s.now(), false
		sub.PausedAt, sub.ResumesAt = time.Time{}, time.Time{}
		return s.notifySub(t, eventSubCancelled, *sub, nil)
	})
}

// pauseSubscription stops renewals and charges until resumed, by hand or
// at resumeAt (zero: never by itself). Pausing a paused subscription sets
// its resume date.
func (s *service) pauseSubscription(ctx context.Context, id string, resumeAt time.Time) (subscription, error) {
	return s.withSubscription(ctx, id, func(t *txn, c Customer, sub *subscription) error {
		if sub.ended() {
			return errInvalidState("subscription %s is %s and cannot be paused", sub.ID, sub.Status)
		}
		if !resumeAt.IsZero() && !resumeAt.After(s.now()) {
			return errValidation("resumeDate", "resumeDate must be in the future")
		}
		sub.ResumesAt = resumeAt
		if sub.Status == subPaused {
			return nil
		}
		sub.Status, sub.PausedAt, sub.CancelAtPeriodEnd = subPaused, s.now(), false
		return s.notifySub(t, eventSubPaused, *sub, nil)
	})
}

// resumeSubscription resumes a paused subscription now, starting and
// charging a new period. A subscription that is not paused is 409.
func (s *service) resumeSubscription(ctx context.Context, id string) (subscription, error) {
	return s.withSubscription(ctx, id, func(t *txn, c Customer, sub *subscription) error {
		if sub.Status != subPaused {
			return errInvalidState("subscription %s is %s, not PAUSED", sub.ID, sub.Status)
		}
		return s.resume(t, c, sub, s.now())
	})
}

// --- handlers

// subPrice reads a subscription price: a number ≥ 0 with at most 6
// decimals, stored exactly.
func subPrice(n string) (string, error) {
	r, err := money.Parse(n)
	if err != nil || r.Sign() < 0 {
		return "", errValidation("priceUsdc", "priceUsdc must be a number ≥ 0, not %q", n)
	}
	if p := money.Places(r); p < 0 || p > money.USDCPlaces {
		return "", errValidation("priceUsdc", "priceUsdc may have at most 6 decimals, not %q", n)
	}
	return usdc(r), nil
}

func checkIncluded(v *float64) error {
	if v != nil && *v != math.Trunc(*v) {
		return errValidation("includedUsage", "includedUsage must be a whole number of units")
	}
	return nil
}

func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request) {
	var req subRequest
	err := decode(r, &req.CreateSubscriptionRequest)
	if err == nil {
		err = firstErr(required("customerId", req.CustomerID), required("name", req.Name),
			required("interval", req.Interval), required("priceUsdc", req.PriceUsdc.String()))
	}
	if err == nil {
		err = oneOf("interval", req.Interval, subIntervals...)
	}
	if err == nil {
		req.price, err = subPrice(req.PriceUsdc.String())
	}
	if err == nil && req.TrialDays != nil && (*req.TrialDays < 0 || *req.TrialDays > maxTrialDays) {
		err = errValidation("trialDays", "trialDays must be from 0 to %d", maxTrialDays)
	}
	if err == nil {
		err = checkIncluded(req.IncludedUsage)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sub, err := s.svc.createSubscription(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, subscriptionWire(sub))
}

func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryInt(r, "limit", 100, 1, 100)
	if err == nil && q.Get("status") != "" {
		err = oneOf("status", q.Get("status"), subStatuses...)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	subs, total, err := s.svc.listSubscriptions(r.Context(), q.Get("customerId"), q.Get("status"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.SubscriptionList{Data: make([]wire.Subscription, len(subs)), Count: total}
	for i, sub := range subs {
		out.Data[i] = subscriptionWire(sub)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) replySubscription(w http.ResponseWriter, r *http.Request, sub subscription, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, subscriptionWire(sub))
}

func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request) {
	sub, err := s.svc.getSubscription(r.Context(), r.PathValue("id"))
	s.replySubscription(w, r, sub, err)
}

func (s *Server) updateSubscription(w http.ResponseWriter, r *http.Request) {
	var req wire.UpdateSubscriptionRequest
	err := decode(r, &req)
	ch := subChange{name: req.Name, description: req.Description, overageUnitType: req.OverageUnitType,
		includedUsage: req.IncludedUsage, metadata: req.Metadata}
	if err == nil && req.Name != nil && *req.Name == "" {
		err = errValidation("name", "name must not be empty")
	}
	if err == nil && req.PriceUsdc != "" {
		var p string
		p, err = subPrice(req.PriceUsdc.String())
		ch.price = &p
	}
	if err == nil {
		err = checkIncluded(req.IncludedUsage)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sub, err := s.svc.updateSubscription(r.Context(), r.PathValue("id"), ch)
	s.replySubscription(w, r, sub, err)
}

func (s *Server) cancelSubscription(w http.ResponseWriter, r *http.Request) {
	var req wire.CancelSubscriptionRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	sub, err := s.svc.cancelSubscription(r.Context(), r.PathValue("id"), req.Immediate != nil && *req.Immediate)
	s.replySubscription(w, r, sub, err)
}

func (s *Server) pauseSubscription(w http.ResponseWriter, r *http.Request) {
	var req wire.PauseSubscriptionRequest
	err := decode(r, &req)
	var at time.Time
	if err == nil && req.ResumeDate != "" {
		at, err = parsePeriod("resumeDate", req.ResumeDate)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sub, err := s.svc.pauseSubscription(r.Context(), r.PathValue("id"), at)
	s.replySubscription(w, r, sub, err)
}

func (s *Server) resumeSubscription(w http.ResponseWriter, r *http.Request) {
	sub, err := s.svc.resumeSubscription(r.Context(), r.PathValue("id"))
	s.replySubscription(w, r, sub, err)
}

func subscriptionWire(sub subscription) wire.Subscription {
	return wire.Subscription{ID: sub.ID, BusinessID: businessID, CustomerID: sub.CustomerID, Name: sub.Name,
		Description: strPtr(sub.Description), Interval: sub.Interval, PriceUsdc: sub.Price, Status: sub.Status,
		CurrentPeriodStart: formatTime(sub.PeriodStart), CurrentPeriodEnd: formatTime(sub.PeriodEnd),
		CancelledAt: timePtr(sub.CancelledAt), CancelAtPeriodEnd: sub.CancelAtPeriodEnd, PausedAt: timePtr(sub.PausedAt),
		ResumesAt: timePtr(sub.ResumesAt), TrialStart: timePtr(sub.TrialStart), TrialEnd: timePtr(sub.TrialEnd),
		IncludedUsage: sub.IncludedUsage, OverageUnitType: strPtr(sub.OverageUnitType), Metadata: sub.Metadata,
		CreatedAt: formatTime(sub.CreatedAt), UpdatedAt: formatTime(sub.UpdatedAt)}
}
