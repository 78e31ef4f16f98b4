package drip

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/providers"
	"github.com/drip-sdk/drip-go/providers/pricing"
)

func TestAppendEventWritesTheWireShape(t *testing.T) {
	c := &Client{guard: newMetadataFilter(MetadataGuard{})}
	ts := time.Date(2026, 11, 27, 13, 0, 0, 123456789, time.UTC)
	e := Event{
		RunID: "run_1", Type: EventLLMCompletion, Model: "gpt-4o", InputTokens: 100, OutputTokens: 20,
		CachedInputTokens: 30, ReasoningTokens: 5, Name: "quote\"and\\slash\n\x01\xff", Duration: 1500 * time.Millisecond,
		Status: StatusSuccess, Description: "héllo ✓", CostUnits: 0.00125, IdempotencyKey: "k1",
		SpanID: "s", ParentEventID: "p", CorrelationID: "c", Timestamp: ts,
		Metadata: map[string]any{
			"model": "user-model-must-lose", "route": "/chat", "count": 3, "ratio": 0.5, "ok": true, "nothing": nil,
			"prompt": "secret", "apiKey": "x", "nested": map[string]any{"a": 1}, "u8": uint8(7), "f32": float32(1.5),
		},
	}
	raw := c.appendEvent(nil, &e, true)
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("invalid JSON %s: %v", raw, err)
	}
	want := map[string]any{
		"runId": "run_1", "eventType": "llm.completion", "quantity": float64(120), "units": "tokens",
		"description": "héllo ✓", "costUnits": 0.00125, "correlationId": "c", "parentEventId": "p", "spanId": "s",
		"idempotencyKey": "k1",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	md := got["metadata"].(map[string]any)
	wantMD := map[string]any{
		"model": "gpt-4o", "inputTokens": float64(100), "outputTokens": float64(20), "totalTokens": float64(120),
		"cachedInputTokens": float64(30), "reasoningTokens": float64(5), "name": "quote\"and\\slash\n\x01\ufffd",
		"latencyMs": float64(1500), "status": "success", "occurredAt": "2026-11-27T13:00:00.123456789Z",
		"route": "/chat", "count": float64(3), "ratio": 0.5, "ok": true, "nothing": nil, "u8": float64(7), "f32": 1.5,
	}
	for k, v := range wantMD {
		if md[k] != v {
			t.Errorf("metadata %s = %#v, want %#v", k, md[k], v)
		}
	}
	for _, k := range []string{"prompt", "apiKey", "nested"} {
		if _, ok := md[k]; ok {
			t.Errorf("metadata %s must be dropped by the guard", k)
		}
	}
	if len(md) != len(wantMD) {
		t.Errorf("metadata has %d keys, want %d: %v", len(md), len(wantMD), md)
	}
}

func TestAppendEventDefaults(t *testing.T) {
	c := &Client{guard: newMetadataFilter(MetadataGuard{})}
	var got map[string]any
	json.Unmarshal(c.appendEvent(nil, &Event{Type: "step", Metadata: map[string]any{"prompt": "x"}}, false), &got)
	if _, ok := got["quantity"]; ok || got["runId"] != nil || len(got["metadata"].(map[string]any)) != 0 {
		t.Fatalf("defaults: %v", got)
	}
	w := c.eventToWire(&Event{RunID: "r", Type: "t", Quantity: 2.5, Units: "calls"})
	if *w.Quantity != 2.5 || w.Units != "calls" || w.RunID != "r" {
		t.Fatalf("eventToWire: %+v", w)
	}
}

func BenchmarkAppendEvent(b *testing.B) {
	c := &Client{guard: newMetadataFilter(MetadataGuard{})}
	e := Event{RunID: "run_abc", Type: EventLLMCompletion, Model: "gpt-4o-mini", InputTokens: 812, OutputTokens: 164,
		Duration: 730 * time.Millisecond, IdempotencyKey: "evt_0123456789abcdef01234567", Timestamp: time.Now()}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = c.appendEvent(buf[:0], &e, true)
	}
}

func BenchmarkLLMEvent(b *testing.B) {
	u := providers.Usage{Provider: "openai", Operation: "chat", Model: "gpt-4o-mini-2024-07-18", InputTokens: 812,
		OutputTokens: 164, CachedInputTokens: 100, Duration: 730 * time.Millisecond, Start: time.Now()}
	prices := pricing.Default()
	b.ReportAllocs()
	for b.Loop() {
		e := LLMEvent(&u, prices)
		_ = e
	}
}
