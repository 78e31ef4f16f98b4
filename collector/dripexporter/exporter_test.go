package dripexporter

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/driptest"
)

func TestFactoryAndConfig(t *testing.T) {
	f := NewFactory()
	if f.Type().String() != "drip" {
		t.Fatalf("type = %s", f.Type())
	}
	def := f.CreateDefaultConfig()
	if err := componenttest.CheckConfigStruct(def); err != nil {
		t.Fatal(err)
	}
	if err := confmap.Validate(def); err == nil || !strings.Contains(err.Error(), "endpoint is required") ||
		!strings.Contains(err.Error(), "api_key is required") {
		t.Fatalf("default config validates: %v", err)
	}

	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	load := func(name string) (*Config, error) {
		cfg := f.CreateDefaultConfig()
		sub, err := cm.Sub(component.MustNewIDWithName("drip", name).String())
		if err != nil {
			return nil, err
		}
		if err := sub.Unmarshal(cfg); err != nil {
			return nil, err
		}
		return cfg.(*Config), confmap.Validate(cfg)
	}
	cfg, err := load("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Customer.SpanAttribute != "drip.customer_id" || cfg.Customer.ResourceAttribute != "drip.customer_id" ||
		cfg.Customer.BaggageAttribute != "drip.customer_id" || cfg.IdleTimeout != DefaultIdleTimeout || !cfg.QueueConfig.HasValue() {
		t.Errorf("defaults = %+v", cfg)
	}
	// The key never shows when the config is printed or logged.
	for _, s := range []string{fmt.Sprint(cfg.APIKey), fmt.Sprintf("%+v", *cfg), fmt.Sprintf("%v", cfg)} {
		if strings.Contains(s, "sk_test_secret_do_not_log") {
			t.Errorf("api key printed: %s", s)
		}
	}
	if b, _ := json.Marshal(cfg); strings.Contains(string(b), "sk_test_secret_do_not_log") {
		t.Errorf("api key marshalled: %s", b)
	}

	custom, err := load("custom")
	if err != nil {
		t.Fatal(err)
	}
	q := custom.QueueConfig.Get()
	if custom.Customer.SpanAttribute != "tenant.id" || custom.Customer.BaggageAttribute != "baggage.tenant.id" ||
		custom.Customer.ResourceAttribute != "" || custom.Workflow.Default != "support-bot" || !custom.Workflow.UseServiceName ||
		custom.IdleTimeout != 90*time.Second || custom.MaxPendingSpans != 500 || custom.TimeoutConfig.Timeout != 12*time.Second ||
		q.NumConsumers != 2 || q.QueueSize != 100 || q.StorageID == nil || q.StorageID.String() != "file_storage" ||
		!custom.RetryConfig.Enabled || custom.RetryConfig.MaxElapsedTime != time.Minute {
		t.Errorf("custom = %+v queue %+v", custom, q)
	}

	if _, err := load("noendpoint"); err == nil || !strings.Contains(err.Error(), "endpoint is required") {
		t.Errorf("no endpoint: %v", err)
	}
	if _, err := load("badidle"); err == nil || !strings.Contains(err.Error(), "not an http(s) URL") ||
		!strings.Contains(err.Error(), "idle_timeout must be positive") {
		t.Errorf("bad endpoint and idle: %v", err)
	}
}

// startExporter builds the exporter through the factory, without a queue
// so ConsumeTraces returns once dripd has the batch.
func startExporter(t *testing.T, cfg *Config) (exporter.Traces, *dripExporter) {
	t.Helper()
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	set := exportertest.NewNopSettings(componentType)
	exp, x, err := newTraces(context.Background(), set, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
	return exp, x
}

func TestConsumedBatchMetersIntoDripd(t *testing.T) {
	srv, c := newDripd(t)
	acme := customer(t, c, "acme")
	cfg := testConfig(srv)
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	exp, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(componentType), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := exp.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()

	spans := agentTrace(1, acme)
	spans = append(spans, testSpan{trace: 1, id: 5, parent: 1, name: "execute_tool db", failed: "boom\nstack",
		attrs: map[string]any{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "db", "error.type": "timeout"}})
	if err := exp.ConsumeTraces(context.Background(), traces(spans...)); err != nil {
		t.Fatal(err)
	}

	runs := srv.Runs()
	if len(runs) != 1 {
		t.Fatalf("runs = %+v", runs)
	}
	run := runs[0]
	if run.CustomerID != acme || run.Status != dripserver.StatusCompleted || run.WorkflowName == "" ||
		run.ExternalRunID != "otel-"+tid(1).String() || run.CorrelationID != tid(1).String() {
		t.Fatalf("run = %+v", run)
	}
	evs := srv.Events(run.ID)
	byType := map[string][]driptest.Event{}
	for _, e := range evs {
		byType[e.EventType] = append(byType[e.EventType], e)
		if b, _ := json.Marshal(e); strings.Contains(string(b), "SECRET") {
			t.Errorf("prompt text reached Drip: %s", b)
		}
		if want := "otel_" + tid(1).String() + "_" + e.SpanID; e.IdempotencyKey != want {
			t.Errorf("key = %s, want %s", e.IdempotencyKey, want)
		}
	}
	if len(evs) != 5 || len(byType[drip.EventLLMCompletion]) != 2 || len(byType[drip.EventToolCall]) != 1 ||
		len(byType[drip.EventToolError]) != 1 || len(byType[drip.EventAgentFinish]) != 1 {
		t.Fatalf("events = %+v", byType)
	}
	for _, e := range byType[drip.EventLLMCompletion] {
		md := e.Metadata
		in, out := md["inputTokens"], md["outputTokens"]
		switch md["model"] {
		case "gpt-4o-mini-2024-07-18": // OpenLIT
			if in != 101.0 || out != 20.0 || md["cachedInputTokens"] != 40.0 || md["cacheWrites"] != 8.0 || md["provider"] != "openai" ||
				md["serviceTier"] != "flex" {
				t.Errorf("OpenLIT event = %+v", md)
			}
		case "gpt-4o-2024-08-06": // OpenInference
			if in != 300.0 || out != 50.0 || md["cachedInputTokens"] != 100.0 || md["reasoningTokens"] != 10.0 ||
				md["operation"] != "chat" || md["provider"] != "openai" {
				t.Errorf("OpenInference event = %+v", md)
			}
		default:
			t.Errorf("model %v", md["model"])
		}
		if e.ParentEventID != sid(1, 1).String() || e.DurationMs == nil || *e.DurationMs != 1500 {
			t.Errorf("event ids/duration = %+v", e)
		}
		if e.CostUnits == nil || *e.CostUnits <= 0 {
			t.Errorf("no cost for %v", md["model"])
		}
	}
	if te := byType[drip.EventToolError][0]; te.Metadata["errorType"] != "timeout" || strings.Contains(te.Description, "boom") {
		t.Errorf("tool error = %+v", te)
	}

	// The same batch again (a retry, a replay): nothing new.
	if err := exp.ConsumeTraces(context.Background(), traces(spans...)); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Events(run.ID)); n != 5 || len(srv.Runs()) != 1 {
		t.Fatalf("replay: %d events, %d runs", n, len(srv.Runs()))
	}
}

func TestChildrenBeforeRootWait(t *testing.T) {
	srv, c := newDripd(t)
	acme := customer(t, c, "acme")
	exp, x := startExporter(t, testConfig(srv))
	spans := agentTrace(7, acme)

	if err := exp.ConsumeTraces(context.Background(), traces(spans[1:]...)); err != nil {
		t.Fatal(err)
	}
	if runs := srv.Runs(); len(runs) != 0 {
		t.Fatalf("a run started with no customer: %+v", runs)
	}
	if err := exp.ConsumeTraces(context.Background(), traces(spans[0])); err != nil {
		t.Fatal(err)
	}
	runs := srv.Runs()
	if len(runs) != 1 || runs[0].CustomerID != acme || runs[0].Status != dripserver.StatusCompleted {
		t.Fatalf("runs = %+v", runs)
	}
	if n := len(srv.Events(runs[0].ID)); n != 4 {
		t.Fatalf("events = %d, want 4", n)
	}
	if st := x.Stats(); st.RunsStarted != 1 || st.RunsEnded != 1 || st.Events != 4 || st.Dropped != 0 {
		t.Errorf("stats = %+v", st)
	}
	// A straggler after the root joins the run and does not end it again.
	late := testSpan{trace: 7, id: 9, parent: 1, name: "late tool",
		attrs: map[string]any{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "late"}}
	if err := exp.ConsumeTraces(context.Background(), traces(late)); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Events(runs[0].ID)); n != 5 || srv.Run(runs[0].ID).Status != dripserver.StatusCompleted {
		t.Fatalf("after straggler: %d events, run %+v", n, srv.Run(runs[0].ID))
	}
}

func TestRootNeverComesIsAbandoned(t *testing.T) {
	srv, c := newDripd(t)
	acme := customer(t, c, "acme")
	cfg := testConfig(srv)
	cfg.IdleTimeout = time.Hour // the test sweeps with its own clock
	exp, x := startExporter(t, cfg)
	now := t0
	x.mu.Lock()
	x.now = func() time.Time { return now }
	x.mu.Unlock()

	// The customer comes from the resource (a per-tenant service); the
	// root span is lost. A second trace never names a customer.
	spans := agentTrace(3, "")[1:]
	for i := range spans {
		spans[i].resource = map[string]any{"drip.customer_id": acme}
	}
	orphan := agentTrace(4, "")[1:]
	if err := exp.ConsumeTraces(context.Background(), traces(append(spans, orphan...)...)); err != nil {
		t.Fatal(err)
	}
	runs := srv.Runs()
	if len(runs) != 1 || runs[0].Status != dripserver.StatusRunning || len(srv.Events(runs[0].ID)) != 3 {
		t.Fatalf("runs = %+v", runs)
	}
	x.sweep(context.Background()) // not idle yet
	if st := srv.Run(runs[0].ID).Status; st != dripserver.StatusRunning {
		t.Fatalf("ended early: %s", st)
	}
	now = now.Add(time.Hour + time.Second)
	x.sweep(context.Background())
	r := srv.Run(runs[0].ID)
	if r.Status != dripserver.StatusFailed || r.ErrorCode != drip.CodeAbandoned {
		t.Fatalf("run = %+v, want FAILED/ABANDONED", r)
	}
	if st := x.Stats(); st.RunsAbandoned != 1 || st.Dropped != 3 {
		t.Errorf("stats = %+v", st)
	}
}

func TestCustomerFromConfiguredAttributes(t *testing.T) {
	srv, c := newDripd(t)
	acme, globex := customer(t, c, "acme"), customer(t, c, "globex")
	cfg := testConfig(srv)
	cfg.Customer = CustomerConfig{SpanAttribute: "tenant.id", BaggageAttribute: "baggage.tenant", ResourceAttribute: "tenant"}
	cfg.Workflow = WorkflowConfig{UseServiceName: true}
	exp, _ := startExporter(t, cfg)

	bySpan := agentTrace(1, "")
	bySpan[0].attrs["tenant.id"] = acme
	byBaggage := agentTrace(2, "")
	byBaggage[2].attrs["baggage.tenant"] = globex // a child: the baggage processor copied it there
	byResource := agentTrace(3, acme)             // drip.customer_id is not configured: ignored
	for i := range byResource {
		byResource[i].resource = map[string]any{"tenant": globex}
	}
	ignored := agentTrace(4, acme) // names its customer only as drip.customer_id
	consume(t, exp, append(append(append(bySpan, byBaggage...), byResource...), ignored...)...)

	want := map[string]string{"otel-" + tid(1).String(): acme, "otel-" + tid(2).String(): globex, "otel-" + tid(3).String(): globex}
	runs := srv.Runs()
	if len(runs) != len(want) {
		t.Fatalf("runs = %+v", runs)
	}
	for _, r := range runs {
		if want[r.ExternalRunID] != r.CustomerID || r.Status != dripserver.StatusCompleted {
			t.Errorf("run %s: customer %s status %s, want %s", r.ExternalRunID, r.CustomerID, r.Status, want[r.ExternalRunID])
		}
	}
}
