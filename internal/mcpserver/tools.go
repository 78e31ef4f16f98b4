package mcpserver

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/jsonschema-go/jsonschema"

	drip "github.com/drip-sdk/drip-go"
)

// tools is every tool, in the order they are listed.
var tools = []toolDef{
	tool("drip_ping",
		"Check that the Drip API is reachable and healthy. Returns ok, the API status and the round-trip latency.",
		true, nil, ping),
	tool("drip_track_usage",
		"Record metered usage for a customer (e.g. 3 api_calls, 1500 llm_tokens). By default Drip bills it when a pricing plan matches the meter. "+
			"Reuse idempotencyKey when retrying so it counts once. Metadata must hold operational context only.",
		false, func(s *jsonschema.Schema) {
			nonEmpty(s, "customerId", "meter")
			minimum(s, 0, "quantity")
			enum(s, "mode", "sync", "async", "internal")
		}, trackUsage),
	tool("drip_record_run",
		"Record a finished agent run and all its events in one call: customer, workflow slug, events (eventType, model, inputTokens, outputTokens, name, duration in ms, status, …) and the final status. "+
			"Prefer it to start/emit/end when the run is already over. Metadata must hold operational context only.",
		false, func(s *jsonschema.Schema) {
			nonEmpty(s, "customerId", "workflow")
			enum(s, "status", endStatuses...)
			constrainEvent(prop(s, "events", "[]"))
		}, recordRun),
	tool("drip_start_run",
		"Start a run (an execution trace) for a customer and workflow, to add events to as they happen with drip_emit_event and finish with drip_end_run. Returns the run id. "+
			"Metadata must hold operational context only.",
		false, func(s *jsonschema.Schema) { nonEmpty(s, "customerId", "workflowId") }, startRun),
	tool("drip_emit_event",
		"Record one event in a run started with drip_start_run: an LLM call (eventType llm.completion, model, inputTokens, outputTokens), a tool call (tool.call, name, duration in ms, status) or any step. "+
			"Reuse idempotencyKey when retrying. Metadata must hold operational context only.",
		false, func(s *jsonschema.Schema) {
			nonEmpty(s, "runId")
			constrainEvent(s)
		}, emitEvent),
	tool("drip_end_run",
		"End a run started with drip_start_run with its final status (COMPLETED, FAILED, CANCELLED or TIMEOUT) and, for a failure, a short error message (never a stack trace or environment). "+
			"Returns the run's duration, event count and total cost. Metadata must hold operational context only.",
		false, func(s *jsonschema.Schema) {
			nonEmpty(s, "runId")
			enum(s, "status", endStatuses...)
		}, endRun),
	tool("drip_get_run",
		"Get a run: its customer, workflow, status, duration, error and totals (event count, quantity, cost).",
		true, func(s *jsonschema.Schema) { nonEmpty(s, "runId") }, getRun),
	tool("drip_get_run_timeline",
		"Get a run's events in order with their outcomes, durations and costs, plus a summary by type and outcome. Pages with limit and cursor (nextCursor).",
		true, func(s *jsonschema.Schema) {
			nonEmpty(s, "runId")
			prop(s, "limit").Minimum = new(1.0)
			prop(s, "limit").Maximum = new(500.0)
		}, getRunTimeline),
	tool("drip_create_customer",
		"Create a Drip customer from your own user or account id (externalCustomerId) and/or an on-chain address. A duplicate externalCustomerId fails with DUPLICATE_CUSTOMER and the existing customer's id. "+
			"Metadata must hold operational context only.",
		false, nil, createCustomer),
	tool("drip_get_customer",
		"Get a Drip customer by its Drip id.",
		true, func(s *jsonschema.Schema) { nonEmpty(s, "customerId") }, getCustomer),
	tool("drip_list_customers",
		"List Drip customers, one page at a time (limit up to 100, offset), optionally only those with a status (ACTIVE, LOW_BALANCE, PAUSED).",
		true, func(s *jsonschema.Schema) {
			prop(s, "limit").Minimum = new(1.0)
			prop(s, "limit").Maximum = new(100.0)
			minimum(s, 0, "offset")
			enum(s, "status", "ACTIVE", "LOW_BALANCE", "PAUSED")
		}, listCustomers),
	tool("drip_get_balance",
		"Get a customer's USDC balance: balance, pending charges and what is available to spend. Amounts are exact decimal strings.",
		true, func(s *jsonschema.Schema) { nonEmpty(s, "customerId") }, getBalance),
	tool("drip_list_charges",
		"List charges (what Drip billed for usage), newest first, one page at a time (limit up to 100, offset), optionally for one customer or with one status "+
			"(PENDING_SETTLEMENT, PENDING, CONFIRMED, FAILED, REFUNDED). Amounts are exact decimal strings in USDC.",
		true, func(s *jsonschema.Schema) {
			prop(s, "limit").Minimum = new(1.0)
			prop(s, "limit").Maximum = new(100.0)
			minimum(s, 0, "offset")
			enum(s, "status", "PENDING_SETTLEMENT", "PENDING", "CONFIRMED", "FAILED", "REFUNDED")
		}, listCharges),
	tool("drip_check_entitlement",
		"Check whether a customer may use a feature (featureKey, e.g. llm_calls) for a quantity (default 1) under their entitlement plan, before doing the work. "+
			"Returns allowed, remaining and limit for the period (-1 when unlimited), when the period resets, and Drip's reason when denied. Checking does not use anything up.",
		true, func(s *jsonschema.Schema) {
			nonEmpty(s, "customerId", "featureKey")
			minimum(s, 0, "quantity")
		}, checkEntitlement),
	tool("drip_list_subscriptions",
		"List subscriptions (recurring charges per DAILY, WEEKLY, MONTHLY or ANNUAL period), optionally for one customer or with one status "+
			"(ACTIVE, TRIALING, PAST_DUE, PAUSED, CANCELLED, EXPIRED): name, status, price in USDC, the current period, trial end and included usage.",
		true, func(s *jsonschema.Schema) {
			prop(s, "limit").Minimum = new(1.0)
			prop(s, "limit").Maximum = new(100.0)
			enum(s, "status", "ACTIVE", "TRIALING", "PAST_DUE", "PAUSED", "CANCELLED", "EXPIRED")
		}, listSubscriptions),
	secretOnly(tool("drip_list_contracts",
		"List contracts (a customer's negotiated terms: unit-price overrides, discount, included units, minimum and maximum), optionally for one customer "+
			"or with one status (ACTIVE, EXPIRED, CANCELLED). Needs a secret (sk_) key.",
		true, func(s *jsonschema.Schema) { enum(s, "status", "ACTIVE", "EXPIRED", "CANCELLED") }, listContracts)),
}

// secretOnly marks a tool that needs an sk_ key: it is not listed for a
// pk_ key, which Drip would refuse anyway.
func secretOnly(t toolDef) toolDef {
	t.secretOnly = true
	return t
}

func ping(ctx context.Context, c *drip.Client, _ pingIn) (pingOut, error) {
	r, err := c.Ping(ctx)
	if err != nil {
		return pingOut{}, err
	}
	return pingOut{OK: r.OK, Status: r.Status, LatencyMs: r.Latency.Milliseconds()}, nil
}

var usageModes = map[string]drip.UsageMode{"": drip.UsageSync, "sync": drip.UsageSync, "async": drip.UsageAsync, "internal": drip.UsageInternal}

func trackUsage(ctx context.Context, c *drip.Client, in trackUsageIn) (trackUsageOut, error) {
	mode, ok := usageModes[in.Mode]
	if !ok {
		return trackUsageOut{}, fmt.Errorf("mode %q: want sync, async or internal", in.Mode)
	}
	r, err := c.TrackUsage(ctx, drip.UsageParams{
		CustomerID: in.CustomerID, Meter: in.Meter, Quantity: in.Quantity, Units: in.Units,
		Description: in.Description, Metadata: in.Metadata, IdempotencyKey: in.IdempotencyKey, Mode: mode,
	})
	if err != nil {
		return trackUsageOut{}, err
	}
	out := trackUsageOut{Success: r.Success, UsageEventID: r.UsageEventID, IsDuplicate: r.IsDuplicate,
		IdempotencyKey: r.IdempotencyKey, Mode: r.Mode, Message: r.Message}
	if r.Charge != nil {
		out.Charge = &chargeOut{ID: r.Charge.ID, AmountUSDC: r.Charge.AmountUSDC.String(), Status: string(r.Charge.Status)}
	}
	return out, nil
}

// toEvent maps the skill reference's event fields onto drip.Event; the
// client maps that to the wire (and runs the metadata guard).
func (e *eventIn) toEvent(runID string) drip.Event {
	return drip.Event{
		RunID:          runID,
		Type:           e.EventType,
		Model:          e.Model,
		InputTokens:    e.InputTokens,
		OutputTokens:   e.OutputTokens,
		Name:           e.Name,
		Duration:       time.Duration(e.Duration * float64(time.Millisecond)),
		Status:         e.Status,
		Description:    e.Description,
		Quantity:       e.Quantity,
		Units:          e.Units,
		CostUnits:      e.CostUnits,
		Metadata:       e.Metadata,
		IdempotencyKey: e.IdempotencyKey,
	}
}

func recordRun(ctx context.Context, c *drip.Client, in recordRunIn) (recordRunOut, error) {
	events := make([]drip.Event, len(in.Events))
	for i := range in.Events {
		events[i] = in.Events[i].toEvent("")
	}
	r, err := c.RecordRun(ctx, drip.RecordRunParams{
		CustomerID: in.CustomerID, Workflow: in.Workflow, Events: events, Status: drip.RunStatus(in.Status),
		ErrorMessage: in.ErrorMessage, ErrorCode: in.ErrorCode, ExternalRunID: in.ExternalRunID,
		CorrelationID: in.CorrelationID, Metadata: in.Metadata,
	})
	if err != nil {
		return recordRunOut{}, err
	}
	return recordRunOut{RunID: r.RunID, WorkflowID: r.WorkflowID, WorkflowName: r.WorkflowName, Status: string(r.Status),
		DurationMs: r.Duration.Milliseconds(), EventsCreated: r.EventsCreated, EventsDuplicates: r.EventsDuplicates,
		TotalCostUnits: r.TotalCostUnits.String(), Summary: r.Summary}, nil
}

func startRun(ctx context.Context, c *drip.Client, in startRunIn) (runOut, error) {
	r, err := c.StartRun(ctx, drip.RunParams{CustomerID: in.CustomerID, Workflow: in.WorkflowID,
		CorrelationID: in.CorrelationID, ExternalRunID: in.ExternalRunID, ParentRunID: in.ParentRunID, Metadata: in.Metadata})
	if err != nil {
		return runOut{}, err
	}
	return runOut{ID: r.ID, CustomerID: r.CustomerID, WorkflowID: r.WorkflowID, WorkflowName: r.WorkflowName,
		Status: string(r.Status), CorrelationID: r.CorrelationID, ExternalRunID: r.ExternalRunID, CreatedAt: stamp(r.CreatedAt)}, nil
}

func emitEvent(ctx context.Context, c *drip.Client, in emitEventIn) (eventOut, error) {
	r, err := c.EmitEvent(ctx, in.toEvent(in.RunID))
	if err != nil {
		return eventOut{}, err
	}
	return eventOut{ID: r.ID, RunID: r.RunID, EventType: r.Type, Quantity: r.Quantity, CostUnits: r.CostUnits,
		IsDuplicate: r.IsDuplicate, IdempotencyKey: r.IdempotencyKey, Timestamp: stamp(r.Timestamp)}, nil
}

func endRun(ctx context.Context, c *drip.Client, in endRunIn) (endRunOut, error) {
	r, err := c.EndRun(ctx, in.RunID, drip.EndRunParams{Status: drip.RunStatus(in.Status),
		ErrorMessage: in.ErrorMessage, ErrorCode: in.ErrorCode, Metadata: in.Metadata})
	if err != nil {
		return endRunOut{}, err
	}
	return endRunOut{ID: r.ID, Status: string(r.Status), EndedAt: stamp(r.EndedAt), DurationMs: r.Duration.Milliseconds(),
		EventCount: r.EventCount, TotalCostUnits: r.TotalCostUnits.String()}, nil
}

func getRun(ctx context.Context, c *drip.Client, in runIDIn) (runDetailsOut, error) {
	r, err := c.GetRun(ctx, in.RunID)
	if err != nil {
		return runDetailsOut{}, err
	}
	return runDetailsOut{ID: r.ID, CustomerID: r.CustomerID, WorkflowID: r.WorkflowID, WorkflowName: r.WorkflowName,
		Status: string(r.Status), StartedAt: stamp(r.StartedAt), EndedAt: stamp(r.EndedAt), DurationMs: r.Duration.Milliseconds(),
		ErrorMessage: r.ErrorMessage, ErrorCode: r.ErrorCode, CorrelationID: r.CorrelationID, Metadata: r.Metadata,
		EventCount: r.EventCount, TotalQuantity: r.TotalQuantity, TotalCostUnits: r.TotalCostUnits.String()}, nil
}

func getRunTimeline(ctx context.Context, c *drip.Client, in timelineIn) (timelineOut, error) {
	tl, err := c.GetRunTimeline(ctx, in.RunID, &drip.TimelineParams{Limit: in.Limit, Cursor: in.Cursor})
	if err != nil {
		return timelineOut{}, err
	}
	out := timelineOut{RunID: tl.RunID, WorkflowName: tl.WorkflowName, CustomerID: tl.CustomerID, Status: string(tl.Status),
		DurationMs: tl.Duration.Milliseconds(), HasMore: tl.HasMore, NextCursor: tl.NextCursor,
		Events: make([]timelineEventOut, len(tl.Events)),
		Summary: timelineSummaryOut{TotalEvents: tl.Summary.TotalEvents, ByType: tl.Summary.ByType, ByOutcome: tl.Summary.ByOutcome,
			FailedEvents: tl.Summary.FailedEvents, TotalQuantity: tl.Summary.TotalQuantity, TotalCostUnits: tl.Summary.TotalCostUnits.String()}}
	for i, e := range tl.Events {
		out.Events[i] = timelineEventOut{ID: e.ID, EventType: e.Type, Outcome: e.Outcome, Description: e.Description,
			Timestamp: stamp(e.Timestamp), DurationMs: e.Duration.Milliseconds(), CostUnits: costFloat(e.CostUnits), Metadata: e.Metadata}
	}
	return out, nil
}

func customerToOut(c *drip.Customer) customerOut {
	return customerOut{ID: c.ID, ExternalCustomerID: c.ExternalCustomerID, OnchainAddress: c.OnchainAddress,
		IsInternal: c.IsInternal, Status: c.Status, Metadata: c.Metadata, CreatedAt: stamp(c.CreatedAt)}
}

func createCustomer(ctx context.Context, c *drip.Client, in createCustomerIn) (customerOut, error) {
	cu, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: in.ExternalCustomerID,
		OnchainAddress: in.OnchainAddress, IsInternal: in.IsInternal, Metadata: in.Metadata})
	if err != nil {
		return customerOut{}, err
	}
	return customerToOut(cu), nil
}

func getCustomer(ctx context.Context, c *drip.Client, in getCustomerIn) (customerOut, error) {
	cu, err := c.GetCustomer(ctx, in.CustomerID)
	if err != nil {
		return customerOut{}, err
	}
	return customerToOut(cu), nil
}

func listCustomers(ctx context.Context, c *drip.Client, in listCustomersIn) (listCustomersOut, error) {
	l, err := c.ListCustomers(ctx, &drip.ListCustomersParams{Limit: in.Limit, Offset: in.Offset, Status: in.Status})
	if err != nil {
		return listCustomersOut{}, err
	}
	out := listCustomersOut{Customers: make([]customerOut, len(l.Customers)), Count: l.Count}
	for i := range l.Customers {
		out.Customers[i] = customerToOut(&l.Customers[i])
	}
	return out, nil
}

// stamp formats a time for a tool reply: RFC 3339, or "" when unknown.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// costFloat shows an exact cost as the JSON number the tool schema uses.
func costFloat(d *drip.Decimal) *float64 {
	if d == nil {
		return nil
	}
	f := d.Float64()
	return &f
}

func getBalance(ctx context.Context, c *drip.Client, in getCustomerIn) (balanceOut, error) {
	b, err := c.GetBalance(ctx, in.CustomerID)
	if err != nil {
		return balanceOut{}, err
	}
	return balanceOut{CustomerID: b.CustomerID, BalanceUSDC: b.Balance.String(),
		PendingChargesUSDC: b.PendingCharges.String(), AvailableUSDC: b.Available.String()}, nil
}

func listCharges(ctx context.Context, c *drip.Client, in listChargesIn) (listChargesOut, error) {
	l, err := c.ListCharges(ctx, &drip.ListChargesParams{CustomerID: in.CustomerID, Status: drip.ChargeStatus(in.Status),
		Limit: in.Limit, Offset: in.Offset})
	if err != nil {
		return listChargesOut{}, err
	}
	out := listChargesOut{Charges: make([]chargeOut, len(l.Charges)), Count: l.Count}
	for i, ch := range l.Charges {
		out.Charges[i] = chargeOut{ID: ch.ID, CustomerID: ch.CustomerID, AmountUSDC: ch.AmountUSDC.String(),
			Status: string(ch.Status), Meter: ch.Usage.Meter, Quantity: strconv.FormatFloat(ch.Usage.Quantity, 'f', -1, 64),
			FailureReason: ch.FailureReason, CreatedAt: stamp(ch.CreatedAt)}
	}
	return out, nil
}

func checkEntitlement(ctx context.Context, c *drip.Client, in checkEntitlementIn) (checkEntitlementOut, error) {
	r, err := c.CheckEntitlement(ctx, in.CustomerID, in.FeatureKey, in.Quantity)
	if err != nil {
		return checkEntitlementOut{}, err
	}
	return checkEntitlementOut{Allowed: r.Allowed, FeatureKey: r.FeatureKey, Remaining: r.Remaining.String(),
		Limit: r.Limit.String(), Unlimited: r.Unlimited, Period: string(r.Period),
		PeriodResetsAt: stamp(r.PeriodResetsAt), Reason: r.Reason}, nil
}

func listSubscriptions(ctx context.Context, c *drip.Client, in listSubscriptionsIn) (listSubscriptionsOut, error) {
	l, err := c.ListSubscriptions(ctx, &drip.ListSubscriptionsParams{CustomerID: in.CustomerID,
		Status: drip.SubscriptionStatus(in.Status), Limit: in.Limit})
	if err != nil {
		return listSubscriptionsOut{}, err
	}
	out := listSubscriptionsOut{Subscriptions: make([]subscriptionOut, len(l.Subscriptions)), Count: l.Count}
	for i, s := range l.Subscriptions {
		o := subscriptionOut{ID: s.ID, CustomerID: s.CustomerID, Name: s.Name, Status: string(s.Status),
			Interval: string(s.Interval), PriceUSDC: s.Price.String(), CurrentPeriodStart: stamp(s.CurrentPeriodStart),
			CurrentPeriodEnd: stamp(s.CurrentPeriodEnd), CancelAtPeriodEnd: s.CancelAtPeriodEnd, TrialEnd: stamp(s.TrialEnd),
			OverageUnitType: s.OverageUnitType}
		if s.IncludedUsage != nil {
			o.IncludedUsage = *s.IncludedUsage
		}
		out.Subscriptions[i] = o
	}
	return out, nil
}

func listContracts(ctx context.Context, c *drip.Client, in listContractsIn) (listContractsOut, error) {
	cs, err := c.ListContracts(ctx, &drip.ListContractsParams{CustomerID: in.CustomerID, Status: drip.ContractStatus(in.Status)})
	if err != nil {
		return listContractsOut{}, err
	}
	dec := func(d *drip.Decimal) string {
		if d == nil {
			return ""
		}
		return d.String()
	}
	out := listContractsOut{Contracts: make([]contractOut, len(cs))}
	for i, ct := range cs {
		o := contractOut{ID: ct.ID, CustomerID: ct.CustomerID, Name: ct.Name, Status: string(ct.Status),
			StartDate: stamp(ct.StartDate), EndDate: stamp(ct.EndDate), MinimumUSDC: dec(ct.Minimum), MaximumUSDC: dec(ct.Maximum),
			DiscountPct: dec(ct.DiscountPct), IncludedUnits: ct.IncludedUnits, PriceOverrides: map[string]string{}}
		for _, ov := range ct.Overrides {
			o.PriceOverrides[ov.UnitType] = ov.UnitPrice.String()
		}
		out.Contracts[i] = o
	}
	return out, nil
}
