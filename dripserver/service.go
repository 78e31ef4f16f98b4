package dripserver

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// service holds dripd's rules: idempotency, customer resolution, the run
// state machine and totals. Handlers call it with validated input; it runs
// each call in one store transaction and knows nothing of HTTP beyond the
// status an *apiError carries.
type service struct {
	store *Store
	now   func() time.Time

	bill  billingState // billing.go
	hooks webhookState // webhooks.go
	live  broadcaster  // live.go: the live stream
}

// resolveCustomer finds a customer by its id or, because SDK users commonly
// pass their own ids, by its externalCustomerId.
func (t *txn) resolveCustomer(ref string) (Customer, error) {
	c, ok, err := t.customerByID(ref)
	if err != nil || ok {
		return c, err
	}
	c, ok, err = t.customerByExternalID(ref)
	if err != nil || ok {
		return c, err
	}
	return Customer{}, errCustomerNotFound(ref)
}

func (s *service) createCustomer(ctx context.Context, req wire.CreateCustomerRequest) (Customer, error) {
	now := s.now()
	c := Customer{
		ID:                 newID(prefixCustomer),
		ExternalCustomerID: req.ExternalCustomerID,
		OnchainAddress:     req.OnchainAddress,
		IsInternal:         req.IsInternal != nil && *req.IsInternal,
		Status:             "ACTIVE",
		Metadata:           req.Metadata,
		CreatedAt:          now,
		UpdatedAt:          now,
	}
	err := s.store.update(ctx, func(t *txn) error {
		for _, dup := range []struct {
			field, val string
			find       func(string) (Customer, bool, error)
		}{
			{"externalCustomerId", c.ExternalCustomerID, t.customerByExternalID},
			{"onchainAddress", c.OnchainAddress, t.customerByOnchainAddress},
		} {
			if dup.val == "" {
				continue
			}
			existing, ok, err := dup.find(dup.val)
			if err != nil {
				return err
			}
			if ok {
				return &apiError{status: http.StatusConflict, code: CodeDuplicateCustomer,
					message:            fmt.Sprintf("a customer with %s %q already exists", dup.field, dup.val),
					existingCustomerID: existing.ID}
			}
		}
		if err := t.insertCustomer(c); err != nil {
			return err
		}
		return s.customerCreated(t, c)
	})
	return c, err
}

func (s *service) getCustomer(ctx context.Context, id string) (c Customer, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		var ok bool
		c, ok, err = t.customerByID(id)
		if err == nil && !ok {
			err = errCustomerNotFound(id)
		}
		return err
	})
	return c, err
}

func (s *service) listCustomers(ctx context.Context, status string, limit, offset int) (cs []Customer, total int, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		cs, total, err = t.listCustomers(status, limit, offset)
		return err
	})
	return cs, total, err
}

// usageOutcome is what a usage write stored, or found stored under its key.
type usageOutcome struct {
	record    UsageRecord
	customer  Customer
	duplicate bool
	charge    *Charge // nil when the usage was not charged
}

// trackUsage records one usage write from any of the four usage endpoints.
// A repeated idempotency key returns the original record, whichever endpoint
// wrote it, and writes nothing.
func (s *service) trackUsage(ctx context.Context, endpoint string, req wire.UsageRequest) (out usageOutcome, err error) {
	now := s.now()
	err = s.store.update(ctx, func(t *txn) error {
		if req.IdempotencyKey != "" {
			rec, ok, err := t.usageByKey(req.IdempotencyKey)
			if err != nil {
				return err
			}
			if ok {
				c, _, err := t.customerByID(rec.CustomerID)
				if err != nil {
					return err
				}
				out = usageOutcome{record: rec, customer: c, duplicate: true}
				out.charge, err = usageCharge(t, rec)
				return err
			}
		}
		c, err := s.usageCustomer(t, req, now)
		if err != nil {
			return err
		}
		rec := UsageRecord{
			ID:             newID(prefixUsage),
			CustomerID:     c.ID,
			UsageType:      req.UsageType,
			Quantity:       *req.Quantity,
			Units:          req.Units,
			Description:    req.Description,
			IdempotencyKey: req.IdempotencyKey,
			Metadata:       req.Metadata,
			Endpoint:       endpoint,
			CreatedAt:      now,
		}
		pc, err := s.priceUsage(t, endpoint, c, &rec)
		if err != nil {
			return err
		}
		out = usageOutcome{record: rec, customer: c}
		if err := t.insertUsage(rec); err != nil {
			return err
		}
		if out.charge, err = s.settleUsage(t, c, rec, pc); err != nil {
			return err
		}
		s.announceUsage(t, rec, out.charge)
		// After settling, so AMOUNT rules see the charge.
		return s.countEntitlementUsage(t, rec)
	})
	return out, err
}

// usageCustomer resolves the customer of a usage write; an unknown
// externalCustomerId provisions an internal customer (as Drip does).
func (s *service) usageCustomer(t *txn, req wire.UsageRequest, now time.Time) (Customer, error) {
	if req.CustomerID != "" {
		return t.resolveCustomer(req.CustomerID)
	}
	c, ok, err := t.customerByExternalID(req.ExternalCustomerID)
	if err != nil || ok {
		return c, err
	}
	c = Customer{ID: newID(prefixCustomer), ExternalCustomerID: req.ExternalCustomerID, IsInternal: true,
		Status: "ACTIVE", CreatedAt: now, UpdatedAt: now}
	if err := t.insertCustomer(c); err != nil {
		return c, err
	}
	return c, s.customerCreated(t, c)
}

// billable reports whether a usage write may be charged: on the billing
// endpoints, for a customer that can be billed (an on-chain address and
// not internal); other writes to those endpoints auto-promote to the
// internal path, as Drip does. A charge is made when an active pricing
// plan prices the usage type (billing_service.go).
func billable(endpoint string, c Customer) bool {
	return (endpoint == endpointUsage || endpoint == endpointUsageAsync) && canBeBilled(c)
}

// The usage endpoints, as stored in UsageRecord.Endpoint.
const (
	endpointUsage              = "usage"
	endpointUsageAsync         = "usage/async"
	endpointUsageInternal      = "usage/internal"
	endpointUsageInternalBatch = "usage/internal/batch"
)

// createWorkflow creates a workflow, or returns the one with the same slug
// unchanged (created false), so the call can be retried safely.
func (s *service) createWorkflow(ctx context.Context, req wire.CreateWorkflowRequest) (w Workflow, created bool, err error) {
	err = s.store.update(ctx, func(t *txn) error {
		existing, ok, err := t.workflowByIDOrSlug(req.Slug)
		if err != nil {
			return err
		}
		if ok && existing.Slug == req.Slug {
			w = existing
			return nil
		}
		surface := req.ProductSurface
		if surface == "" {
			surface = "CUSTOM"
		}
		w = Workflow{ID: newID(prefixWorkflow), Name: req.Name, Slug: req.Slug, ProductSurface: surface,
			Description: req.Description, Metadata: req.Metadata, CreatedAt: s.now()}
		created = true
		return t.insertWorkflow(w)
	})
	return w, created, err
}

func (s *service) listWorkflows(ctx context.Context) (ws []Workflow, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		ws, err = t.listWorkflows()
		return err
	})
	return ws, err
}

// ensureWorkflow finds a workflow by id or slug, creating it from the slug
// when there is none (what the clients' record-run fallback does by hand).
func (s *service) ensureWorkflow(t *txn, ref string) (Workflow, error) {
	w, ok, err := t.workflowByIDOrSlug(ref)
	if err != nil || ok {
		return w, err
	}
	w = Workflow{ID: newID(prefixWorkflow), Name: workflowName(ref), Slug: ref, ProductSurface: "CUSTOM",
		CreatedAt: s.now()}
	return w, t.insertWorkflow(w)
}

// workflowName turns a slug into the name the official clients give it:
// "_" and "-" become spaces and each word is capitalised.
func workflowName(slug string) string {
	words := strings.Fields(strings.NewReplacer("_", " ", "-", " ").Replace(slug))
	for i, w := range words {
		r, n := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToUpper(r)) + w[n:]
	}
	if len(words) == 0 {
		return slug
	}
	return strings.Join(words, " ")
}

// startRun starts a run. A repeated externalRunId for the same customer
// returns the existing run (created false).
func (s *service) startRun(ctx context.Context, req wire.StartRunRequest) (r Run, created bool, err error) {
	err = s.store.update(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(req.CustomerID)
		if err != nil {
			return err
		}
		if req.ExternalRunID != "" {
			existing, ok, err := t.runByExternalID(c.ID, req.ExternalRunID)
			if err != nil || ok {
				r = existing
				return err
			}
		}
		w, err := s.ensureWorkflow(t, req.WorkflowID)
		if err != nil {
			return err
		}
		r = Run{ID: newID(prefixRun), CustomerID: c.ID, WorkflowID: w.ID, WorkflowName: w.Name,
			Status: StatusRunning, ExternalRunID: req.ExternalRunID, CorrelationID: req.CorrelationID,
			ParentRunID: req.ParentRunID}
		r.StartedAt, r.Metadata = clientTime(req.Metadata, s.now())
		created = true
		s.announceRunStarted(t, r)
		return t.insertRun(r)
	})
	return r, created, err
}

// maxClockSkew bounds how far in the future a client's occurredAt may be.
const maxClockSkew = 5 * time.Minute

// clientTime is when the client says a run started or ended (metadata
// occurredAt, which SDKs that send runs in the background set), else now.
// The key is taken out of the metadata that is stored.
func clientTime(meta map[string]any, now time.Time) (time.Time, map[string]any) {
	v, ok := meta[wire.MetaOccurredAt].(string)
	if !ok {
		return now, meta
	}
	meta = maps.Clone(meta)
	delete(meta, wire.MetaOccurredAt)
	if len(meta) == 0 {
		meta = nil
	}
	ts, err := time.Parse(time.RFC3339Nano, v)
	if err != nil || ts.After(now.Add(maxClockSkew)) || ts.Year() < 2000 {
		return now, meta
	}
	return ts.UTC(), meta
}

// endRun applies PATCH /runs/{id}. Ending an ended run with the status it
// already has is a replay and changes nothing; any other status is a 409,
// never an overwrite. RUNNING on a running run is a no-op.
func (s *service) endRun(ctx context.Context, id string, req wire.EndRunRequest) (r Run, err error) {
	err = s.store.update(ctx, func(t *txn) error {
		var ok bool
		r, ok, err = t.runByID(id)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("run %q not found", id)
		}
		return s.finish(t, &r, req.Status, req.ErrorMessage, req.ErrorCode, req.Metadata)
	})
	return r, err
}

// finish moves r to status (see endRun) and stores the change.
func (s *service) finish(t *txn, r *Run, status, errMsg, errCode string, meta map[string]any) error {
	if r.Ended() {
		if r.Status == status {
			return nil
		}
		return &apiError{status: http.StatusConflict, code: CodeRunAlreadyEnded,
			message: fmt.Sprintf("run %s already ended with status %s; it cannot become %s", r.ID, r.Status, status)}
	}
	if status == StatusRunning {
		return nil
	}
	r.Status, r.ErrorMessage, r.ErrorCode = status, errMsg, errCode
	r.EndedAt, meta = clientTime(meta, s.now())
	if r.EndedAt.Before(r.StartedAt) {
		r.EndedAt = r.StartedAt
	}
	if len(meta) > 0 {
		merged := maps.Clone(r.Metadata)
		if merged == nil {
			merged = map[string]any{}
		}
		maps.Copy(merged, meta)
		r.Metadata = merged
	}
	if err := t.endRun(*r); err != nil {
		return err
	}
	return s.announceRunEnded(t, r.ID)
}

func (s *service) getRun(ctx context.Context, id string) (r Run, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		var ok bool
		r, ok, err = t.runByID(id)
		if err == nil && !ok {
			err = errNotFound("run %q not found", id)
		}
		return err
	})
	return r, err
}

// timelinePage is one page of a run's timeline plus the whole-run summary.
type timelinePage struct {
	run     Run
	events  []Event
	summary runSummary
	hasMore bool
}

// timeline reads up to limit events after the event named by cursor ("" for
// the start), in (timestamp, insertion) order.
func (s *service) timeline(ctx context.Context, id string, limit int, cursor string) (p timelinePage, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		var ok bool
		p.run, ok, err = t.runByID(id)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("run %q not found", id)
		}
		var ts, seq int64
		if cursor != "" {
			ts, seq, ok, err = t.eventPosition(id, cursor)
			if err != nil {
				return err
			}
			if !ok {
				return errValidation("cursor", "cursor %q is not an event of run %s", cursor, id)
			}
		}
		p.events, err = t.eventsPage(id, cursor != "", ts, seq, limit+1)
		if err != nil {
			return err
		}
		if len(p.events) > limit {
			p.events, p.hasMore = p.events[:limit], true
		}
		p.summary, err = t.summarize(id)
		return err
	})
	return p, err
}
