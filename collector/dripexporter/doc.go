// Package dripexporter is an OpenTelemetry Collector traces exporter
// (component type `drip`) that meters GenAI spans into Drip: every service
// of a fleet keeps its own instrumentation (OpenLIT, OpenInference,
// OpenLLMetry, the GenAI semantic conventions, drip-go's own spans) and
// sends OTLP to collectors; this exporter turns the spans into Drip runs
// and events through drip-go's client.
//
// # What becomes what
//
// The rules are the ones otelbridge applies (they live in one place, so a
// span yields the same event either way): a trace becomes one run, for the
// customer named by the first of its spans that names one (span attribute
// drip.customer_id, the attribute a baggage span processor copies the
// drip.customer_id baggage member to, or the resource attribute
// drip.customer_id; all configurable). GenAI inference and embedding spans
// become llm.completion with exact tokens from every supported spelling,
// and cost from drip-go's price table; execute_tool spans tool.call,
// invoke_agent spans agent.finish, failed ones their *.error events; spans
// drip-go marked as metered are skipped. A model call that reported no
// tokens (a stream without usage) is recorded as an estimate marked
// usageEstimated. Prompt and completion attributes never reach Drip: only
// their length is read, for that estimate. The run ends when the trace's
// root span (no parent) arrives: COMPLETED, or FAILED with its error.
//
// # Order, splits and replays
//
// A collector sees a trace in pieces. The run's external id is
// otel-<trace id> and each event's idempotency key otel_<trace>_<span>, so
// the same spans yield the same run and events however they are batched,
// ordered, retried or replayed. Spans of a trace whose customer has not
// been seen yet (children usually arrive before their root) wait in
// memory, at most max_pending_spans across traces, until it arrives. A
// trace idle for idle_timeout is forgotten: a run whose root never came is
// ended as FAILED with error code ABANDONED (unless its root reached
// another collector and ended it), spans that never found a customer are
// dropped and counted. A trace whose run ended is remembered for a minute
// (at most idle_timeout) so that stragglers join its run.
//
// # A fleet
//
// Put the contrib load-balancing exporter (routing_key: traceID) in front
// of N collectors running this exporter: every span of a trace then reaches
// the same instance, which sees the root and the customer, and the run is
// exact. Without it, instances still agree on runs and events (keys come
// from the ids), but a piece of a trace that never names the customer on
// its instance cannot be metered there, and an instance that never sees
// the root may end the run as abandoned before another one sees the root.
//
// The helper's sending_queue (with storage: file_storage for a queue that
// survives restarts), retry_on_failure and timeout apply as for any
// exporter; drip-go's own retries are off so the helper's policy is the
// only one; a retried batch resumes where it stopped (runs already started
// or ended are not started or ended again). Errors Drip will not accept on
// retry (validation, unknown
// customer) are permanent and drop the batch.
package dripexporter
