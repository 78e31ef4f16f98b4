package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/driptest"
)

func TestComponents(t *testing.T) {
	f, err := components()
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"otlp"} {
		if _, ok := f.Receivers[mustType(typ)]; !ok {
			t.Errorf("no %s receiver", typ)
		}
	}
	for _, typ := range []string{"batch", "memory_limiter"} {
		if _, ok := f.Processors[mustType(typ)]; !ok {
			t.Errorf("no %s processor", typ)
		}
	}
	if _, ok := f.Exporters[mustType("drip")]; !ok {
		t.Error("no drip exporter")
	}
	if _, ok := f.Extensions[mustType("file_storage")]; !ok {
		t.Error("no file_storage extension")
	}
}

// freePort returns a port free on 127.0.0.1 now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// configYAML is the example config of the README, with the test's ports,
// dripd and storage directory.
const configYAML = `
extensions:
  file_storage:
    directory: %[5]s
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:%[1]d
      http:
        endpoint: 127.0.0.1:%[2]d
processors:
  memory_limiter:
    check_interval: 1s
    limit_mib: 512
  batch:
    timeout: 200ms
exporters:
  drip:
    endpoint: %[3]s
    api_key: %[4]s
    idle_timeout: 5m
    sending_queue:
      storage: file_storage
service:
  extensions: [file_storage]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter, batch]
      exporters: [drip]
`

// collector is a running otelcol-drip.
type collector struct {
	httpPort, grpcPort int
	out                *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// buildCollector builds otelcol-drip once per test binary.
func buildCollector(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "otelcol-drip-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "otelcol-drip")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// startCollector builds and starts otelcol-drip exporting to srv, and
// waits until its OTLP/HTTP port accepts connections.
func startCollector(t *testing.T, srv *driptest.Server) *collector {
	t.Helper()
	bin := buildCollector(t)
	dir := t.TempDir()
	storage := filepath.Join(dir, "queue")
	if err := os.Mkdir(storage, 0o700); err != nil {
		t.Fatal(err)
	}
	c := &collector{grpcPort: freePort(t), httpPort: freePort(t), out: &syncBuffer{}}
	cfgPath := filepath.Join(dir, "config.yaml")
	cfg := fmt.Sprintf(configYAML, c.grpcPort, c.httpPort, srv.BaseURL(), srv.APIKey(), storage)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = c.out, c.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("otelcol-drip output:\n%s", c.out.String())
		}
	})
	for deadline := time.Now().Add(60 * time.Second); ; {
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", c.httpPort))
		if err == nil {
			conn.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("otelcol-drip exited: %v\n%s", err, c.out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("otelcol-drip did not listen\n%s", c.out.String())
		}
	}
	return c
}

// waitRuns polls dripd until n runs have ended (the collector batches and
// queues, so delivery takes a moment).
func waitRuns(t *testing.T, srv *driptest.Server, n int) []driptest.Run {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; {
		runs := srv.Runs()
		ended := 0
		for _, r := range runs {
			if r.Ended() {
				ended++
			}
		}
		if ended >= n {
			return runs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d runs ended: %+v", ended, n, runs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestEndToEndGoSDKThroughOtelcolDrip(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the collector")
	}
	srv := driptest.NewServer(t)
	client, err := drip.New(drip.WithAPIKey(srv.APIKey()), drip.WithBaseURL(srv.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	acme, err := client.GetOrCreateCustomer(ctx, "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	globex, err := client.GetOrCreateCustomer(ctx, "globex", nil)
	if err != nil {
		t.Fatal(err)
	}
	col := startCollector(t, srv)

	// The application: the OpenTelemetry SDK with the OTLP/HTTP exporter.
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(fmt.Sprintf("127.0.0.1:%d", col.httpPort)),
		otlptracehttp.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "support-bot"))))
	tracer := tp.Tracer("e2e")
	type call struct{ in, out int64 }
	calls := map[string][]call{acme.ID: {{120, 30}, {400, 80}}, globex.ID: {{55, 5}}}
	for cust, cs := range calls {
		rctx, root := tracer.Start(ctx, "invoke_agent support", trace.WithAttributes(
			attribute.String("drip.customer_id", cust), attribute.String("gen_ai.operation.name", "invoke_agent"),
			attribute.String("gen_ai.agent.name", "Support Agent")))
		for _, c := range cs {
			_, span := tracer.Start(rctx, "chat gpt-4o-mini", trace.WithAttributes(
				attribute.String("gen_ai.operation.name", "chat"), attribute.String("gen_ai.provider.name", "openai"),
				attribute.String("gen_ai.request.model", "gpt-4o-mini"),
				attribute.String("gen_ai.input.messages", `[{"role":"user","content":"SECRET"}]`)))
			span.SetAttributes(attribute.Int64("gen_ai.usage.input_tokens", c.in),
				attribute.Int64("gen_ai.usage.output_tokens", c.out))
			span.End()
		}
		_, tool := tracer.Start(rctx, "execute_tool lookup", trace.WithAttributes(
			attribute.String("gen_ai.operation.name", "execute_tool"), attribute.String("gen_ai.tool.name", "lookup")))
		tool.SetStatus(codes.Error, "not found")
		tool.End()
		root.End()
	}
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	runs := waitRuns(t, srv, len(calls))
	if len(runs) != len(calls) {
		t.Fatalf("runs = %+v", runs)
	}
	for _, r := range runs {
		cs, ok := calls[r.CustomerID]
		if !ok || r.Status != dripserver.StatusCompleted || r.WorkflowName == "" {
			t.Fatalf("run = %+v", r)
		}
		var in, out, llm, toolErrs int64
		for _, e := range srv.Events(r.ID) {
			switch e.EventType {
			case drip.EventLLMCompletion:
				llm++
				in += int64(e.Metadata["inputTokens"].(float64))
				out += int64(e.Metadata["outputTokens"].(float64))
				if _, est := e.Metadata["usageEstimated"]; est {
					t.Errorf("exact usage marked estimated: %+v", e)
				}
			case drip.EventToolError:
				toolErrs++
			}
			if fmt.Sprint(e.Metadata) != "" && bytes.Contains([]byte(fmt.Sprint(e.Metadata)), []byte("SECRET")) {
				t.Errorf("prompt reached Drip: %+v", e)
			}
		}
		var wantIn, wantOut int64
		for _, c := range cs {
			wantIn, wantOut = wantIn+c.in, wantOut+c.out
		}
		if llm != int64(len(cs)) || in != wantIn || out != wantOut || toolErrs != 1 {
			t.Errorf("customer %s: %d calls %d in %d out %d tool errors, want %d calls %d in %d out 1",
				r.CustomerID, llm, in, out, toolErrs, len(cs), wantIn, wantOut)
		}
	}
}
