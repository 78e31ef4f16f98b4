// Package dripserver is dripd as a library: a local, Drip-compatible API
// server that keeps its state in SQLite. The official Drip clients and
// drip-go talk to it exactly as to the hosted API (the conformance test in
// internal/conformance runs the official Node client against it).
//
// The layers: HTTP handlers decode and validate requests and write replies
// and errors (handlers.go, httpio.go, wiremap.go); the service applies the
// rules — idempotency, customer resolution, the run state machine, totals
// (service.go, service_events.go); the Store persists (store.go, one
// store_<resource>.go per table, migrate.go). Handlers never
// touch SQL and the store never sees HTTP. Every request and reply body is
// a type from internal/wire, the contract shared with the client.
//
// # Use
//
// Embedded, for an example or a tool (a nil store is a fresh in-memory one;
// with no WithAPIKeys any well-formed key is accepted):
//
//	inst, err := dripserver.Start(ctx, "127.0.0.1:0", nil)
//	if err != nil {
//		return err
//	}
//	defer inst.Shutdown(context.Background())
//	client, err := drip.New(drip.WithAPIKey("sk_test_local_key"), drip.WithBaseURL(inst.BaseURL()))
//
// As a handler over a file store:
//
//	store, err := dripserver.OpenStore("dripd.db")
//	if err != nil {
//		return err
//	}
//	defer store.Close()
//	http.ListenAndServe("127.0.0.1:7420", dripserver.New(store))
//
// In tests, use package driptest, which wraps Start and adds read helpers.
//
// # Behaviour worth knowing
//
//   - GET /health at the origin (no key needed); the API under /v1. Any
//     other path or method answers 404 NOT_FOUND in the error envelope
//     {"error","message","code"} (+ "field" on 422 VALIDATION_ERROR, and
//     "existingCustomerId" on 409 DUPLICATE_CUSTOMER). WithUI mounts a
//     user interface on those other paths instead (cmd/dripd mounts
//     package dripserver/dashboard).
//   - GET /v1/dev/stream, a dripd extension (hosted Drip has none, so
//     clients treat its 404 as "not available"): server-sent events of what
//     is committed after the request opened, one "event: <kind>" and one
//     "data: <JSON>" line each — run.started and run.ended (the run as GET
//     /runs/{id} returns it), run.event (the event as the timeline returns
//     it, plus runId), usage.recorded (usageEventId, customerId, usageType,
//     quantity, chargeId or null, createdAt) — and ": ping" every 15 s. A
//     reader that falls 512 messages behind is dropped rather than slow
//     writers down. Server.Subscribe gives the same messages in process.
//   - Every request is logged at info level: method, path, status,
//     duration and the key's first characters (KeyPrefix), never the key.
//   - Auth: Authorization: Bearer sk_…|pk_…. With no WithAPIKeys, any key
//     of that shape and at least 10 characters is accepted (dev mode).
//     Public keys get 403 PUBLIC_KEY_NOT_ALLOWED on secret-only areas
//     (webhooks, pricing-plan writes, entitlement plans and rules,
//     assigning an entitlement plan to a customer, subscription writes,
//     contracts, plan changes, withdrawals, portal sessions and
//     payload-mapping management).
//   - Slow clients are cut off: headers must arrive within
//     DefaultReadHeaderTimeout (10 s) and an API request's body within
//     DefaultBodyReadTimeout (30 s) of its handler starting, else the
//     connection is closed (a late body gets 408 REQUEST_TIMEOUT first, which
//     clients retry); WithReadTimeouts changes both. A body is read as it
//     arrives, never allocated from its declared Content-Length.
//   - Bodies over 5 MiB get 413 PAYLOAD_TOO_LARGE. A body that is empty
//     (with any Content-Type) counts as {}. Malformed JSON and wrong types
//     get 422 VALIDATION_ERROR and write nothing.
//   - Limits (limits.go), each answered 422 VALIDATION_ERROR naming the
//     field (e.g. "events[2].idempotencyKey", "metadata.prompt"), nothing
//     written. Lengths are in characters (code points):
//     MaxIDLength (256) for every identifier-like string (eventType,
//     idempotencyKey, workflow, workflowId, name, slug, externalRunId,
//     correlationId, spanId, parentEventId, parentRunId, runId, customerId,
//     externalCustomerId, onchainAddress, usageType, units, costCurrency,
//     errorCode, status); MaxDescriptionLength (1,000) for description;
//     MaxErrorMessageLength (4,096) for errorMessage; MaxMetadataBytes
//     (64 KiB of compact JSON) per metadata object; quantity and costUnits
//     finite, from 0 to MaxQuantity (1e15).
//   - Text must be valid UTF-8: a string, key or value at any depth, with
//     invalid bytes or a lone surrogate escape (\ud800) gets 422 naming
//     it, rather than being rewritten to U+FFFD, which would make distinct
//     idempotency keys collide.
//   - A customerId body field may hold a customer's id or its
//     externalCustomerId (SDK users often pass their own ids). An unknown one is 404 CUSTOMER_NOT_FOUND; only
//     externalCustomerId on the usage routes provisions a new (internal)
//     customer.
//   - Usage: the four endpoints share one idempotency key space; a repeated
//     key answers isDuplicate true with the original usageEventId (and
//     charge) and stores nothing. /usage and /usage/async charge a customer
//     with an on-chain address that is not internal when an active pricing
//     plan prices the usageType (no plan: recorded, charge null), and
//     otherwise auto-promote (mode "internal", charge null, a reason).
//     /usage/async and /usage/internal/batch answer 202 but, like the
//     others, have committed before they answer (pendingEvents is 0).
//   - Billing (billing*.go): GET/POST /pricing-plans, GET/PATCH/DELETE
//     /pricing-plans/{id}, GET /pricing-plans/by-type/{unitType} (writes
//     need sk_); GET /charges (customerId, status, limit 1–100, offset;
//     count is the total) and /charges/{id}; GET /customers/{id}/balance,
//     POST …/sync-balance and …/provision; PUT …/spending-cap, GET
//     …/spending-caps, DELETE …/spending-caps/{capId}; POST
//     /cost-estimate/from-usage and /cost-estimate/hypothetical.
//     Pricing: FLAT only (other models 400 INVALID_PARAMETER), unitPriceUsd
//     ≥ 0 with at most 6 decimals, one active plan per unitType (409
//     DUPLICATE_PRICING_PLAN), PATCH changes a plan in place, DELETE
//     deactivates. A charge is quantity × unit price rounded to 6 decimals
//     (halves away from zero), exact (decimal TEXT, big.Rat). Customers
//     created with an onchainAddress, or provisioned (a dev 0x address),
//     start with WithStartingBalance (default 100 USDC). Charges settle at
//     once: CONFIRMED (balance down; pendingChargesUsdc stays 0) when the
//     available balance covers them, else FAILED with failureReason, the
//     usage still recorded (200, charge.status FAILED). Spending caps count
//     confirmed charges per UTC day or month (SINGLE_CHARGE_LIMIT: per
//     charge); with autoBlock, billed usage once the period's usage has
//     reached the limit (or a single charge above it) is 403
//     CUSTOMER_BLOCKED with nothing recorded; the charge that crosses the
//     limit goes through. Webhook events queued: usage.recorded,
//     charge.succeeded/failed, customer.created, customer.balance.low
//     (available below 10% of the starting balance, once per crossing; the
//     customer becomes LOW_BALANCE) and customer.spending.warning/blocked
//     at 50/80/95/100% once per level per period.
//   - Workflows: POST /workflows with a slug that exists answers 200 with
//     the existing workflow. POST /runs and /runs/record take a workflow id
//     or slug and create an unknown slug (name: words capitalised).
//   - Runs: a repeated externalRunId for the same customer returns the same
//     run (200). PATCH with the status a run already ended with is a replay
//     (200, unchanged); another status is 409 RUN_ALREADY_ENDED; RUNNING on
//     a running run is a no-op. Events may still be added to an ended run
//     (exporters flush late); they count in its totals.
//   - Run events: per-event idempotency keys; a batch is one transaction.
//     Events of unknown runs, and events with no runId (customerId and
//     workflowId alone are not enough), are skipped with a reason; an
//     invalid event (malformed, no eventType, over a limit, invalid UTF-8)
//     fails the whole batch with 422 naming events[i].<field>, writing
//     nothing, so the client can drop or fix that one event and resend the
//     rest under the same keys. POST /runs/record
//     gives its events the keys <externalRunId>:<eventType>:<index> when
//     externalRunId is set, so a replay counts them as duplicates.
//   - Timeline: events in (timestamp, arrival) order, where the timestamp is
//     the SDK's metadata occurredAt when valid; metadata latencyMs becomes
//     durationMs, metadata status "error" (or an event type ending in
//     ".error") makes the outcome FAILED. Each event's metadata is the sent
//     metadata plus usageType, quantity and units. The summary covers the
//     whole run. limit is 1–500 (default 100); nextCursor is opaque
//     ("<eventId>.<seq>"), and a bare event id works as a cursor too.
//   - Execution events (GET /events, /events/{id}, /events/{id}/trace; a
//     public key may read them) are the run events above, each with its
//     run's customer, across runs in timeline order; filters customerId
//     (id or externalCustomerId), runId, eventType, outcome, limit 1–100,
//     offset, and total counts every match. A trace links events of the
//     same run: parentEventId names the parent by event id or span id,
//     and metadata retryOfEventId names the attempt an event retries
//     (execevents.go).
//   - Run times: a run's startedAt (POST /runs) and endedAt (PATCH) are the
//     client's metadata occurredAt when valid and not more than five
//     minutes ahead, since SDKs that export runs in the background send
//     them late; the key itself is not stored.
//   - Durability: a 2xx means committed. The store uses WAL with
//     synchronous=NORMAL, which survives a crash of the process (kill -9),
//     not a power cut. Each request is one transaction.
//   - Webhooks (secret key only): POST/GET /webhooks, GET/PATCH/DELETE
//     /webhooks/{id}, POST /webhooks/{id}/test and /rotate-secret. The url
//     must be https, or http to a loopback host (else 400
//     INVALID_PARAMETER); events must be known types; at most MaxWebhooks
//     (20) endpoints (400 WEBHOOK_LIMIT_EXCEEDED). The whsec_ secret is in
//     the create and rotate replies only. PATCH "filters": null removes the
//     filters; filter kinds are ANDed, values ORed, and a kind the event
//     does not carry (customer.created has no usage type) does not hold it
//     back; severities come from spending levels (info low, warning
//     medium, critical high, blocked critical) and are high for
//     customer.balance.low, charge.failed and webhook.endpoint.unhealthy.
//     dripd sends customer.created for created and auto-provisioned
//     customers.
//   - Webhook delivery: an event is stored as one delivery per matching
//     endpoint in the transaction that caused it, and POSTed as
//     {"id","type","createdAt","data"} with X-Drip-Signature
//     (t=<unix s>,v1=<hex HMAC-SHA256 of "t." + body>), X-Drip-Event and
//     X-Drip-Delivery. A non-2xx answer, a redirect, a network error or
//     no answer within WithWebhookTimeout (10 s) is retried with
//     exponential backoff (WithWebhookRetry: 10 s doubling, 8 attempts,
//     then FAILED). Three consecutive failed attempts make an endpoint
//     DEGRADED, ten UNHEALTHY (sending webhook.endpoint.unhealthy), a
//     success HEALTHY again. Start delivers in the background and
//     Instance.Shutdown stops it; a Server from New delivers only while
//     Server.Run runs. Pending deliveries survive a restart.
//   - Subscriptions, contracts and plan changes (account.go,
//     subscriptions.go, contracts.go, planchanges.go): subscriptions renew
//     when the clock passes a period's end (lazily, on the next read,
//     change or billed usage of the customer), each paid period charged
//     like usage (PAST_DUE when the balance cannot cover it), trials end
//     into ACTIVE, included usage of the overage meter is free per period;
//     an active contract's overrides replace the pricing plan's unit
//     price, its discount and included units apply to charges; plan
//     changes record the state they replace, prorate over the billing
//     period and roll back once (a second rollback is 400 INVALID_STATE).
//   - Payments (payments.go, checkout.go, withdrawals.go, portal.go,
//     mappings.go): POST /checkout (snake_case; pk_ allowed)
//     answers a URL on dripd's own origin, GET /checkout/{id}, a page whose
//     Pay button credits the customer's balance and redirects to the return
//     URL with session_id, customer_id and status; sessions expire after
//     CheckoutTTL (30 min). Withdrawals (snake_case) draw on the business's
//     settlement balance (confirmed charges less withdrawals in flight or
//     done), pay 1% (at least 0.50 USDC), and move PENDING → … → COMPLETE
//     with the clock over 24 h (see withdrawals.go); only PENDING ones can
//     be cancelled. Portal sessions open GET /portal/{token}, a read-only
//     page of the customer's balance and charges, until they expire or are
//     revoked. Payload mappings (versioned) and POST /ingest/{sourceName}
//     (pk_ allowed) record usage as /usage/internal does, with errors 400
//     MAPPING_FAILED (naming the path), 404 PAYLOAD_MAPPING_NOT_FOUND and
//     410 PAYLOAD_MAPPING_INACTIVE.
//   - Faults for resilience tests (WithErrorRate, WithDropRate, WithLatency,
//     WithSeed) apply to /v1 only, so health checks keep working.
package dripserver
