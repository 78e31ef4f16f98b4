package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
)

// prompt is the user message app.js sends.
const prompt = "SECRET PROMPT: say hello"

// nodeApp is the instrumented Node.js app (npm ci installs its packages).
var nodeApp = filepath.Join("..", "..", "testdata", "node")

// TestEndToEndNodeInstrumentations runs a Node.js app under OpenLLMetry's
// and OpenInference's OpenAI instrumentations, calling a stub OpenAI through
// the official openai package, normal and streaming, with its spans going
// over OTLP/HTTP through otelcol-drip into dripd.
func TestEndToEndNodeInstrumentations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the collector and node")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(nodeApp, "node_modules", "openai")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the node app's packages are missing: run npm ci in collector/testdata/node")
		}
		t.Skip("run npm ci in collector/testdata/node first")
	}
	srv := driptest.NewServer(t)
	client, err := drip.New(drip.WithAPIKey(srv.APIKey()), drip.WithBaseURL(srv.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	stub := openaitest.New(t)
	col := startCollector(t, srv)
	usage := stub.Usage()

	apps := []string{"traceloop", "openinference"}
	custs := map[string]string{}
	for _, which := range apps {
		cu, err := client.GetOrCreateCustomer(context.Background(), "node-"+which, nil)
		if err != nil {
			t.Fatal(err)
		}
		custs[cu.ID] = which
		cmd := exec.Command("node", "app.js")
		cmd.Dir = nodeApp
		cmd.Env = append(os.Environ(),
			"INSTRUMENTATION="+which,
			"CUSTOMER_ID="+cu.ID,
			"OPENAI_BASE_URL="+stub.BaseURL(),
			fmt.Sprintf("OTLP_TRACES_URL=http://127.0.0.1:%d/v1/traces", col.httpPort))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("node app (%s): %v\n%s", which, err, out)
		}
		if os.Getenv("DEBUG_SPANS") != "" {
			t.Logf("node app (%s):\n%s", which, out)
		}
	}

	runs := waitRuns(t, srv, len(apps))
	if len(runs) != len(apps) {
		t.Fatalf("runs = %+v", runs)
	}
	for _, r := range runs {
		which, ok := custs[r.CustomerID]
		if !ok || r.Status != dripserver.StatusCompleted {
			t.Fatalf("run = %+v", r)
		}
		var exact, estimated int
		for _, e := range srv.Events(r.ID) {
			b, _ := json.Marshal(e)
			if strings.Contains(string(b), "SECRET") || strings.Contains(string(b), "Hello, world") {
				t.Errorf("%s: prompt or completion reached Drip: %s", which, b)
			}
			if e.EventType != drip.EventLLMCompletion {
				continue
			}
			md := e.Metadata
			t.Logf("%s: %s %v %v", which, e.EventType, e.Quantity, md)
			if md["usageEstimated"] == true {
				// Neither instrumentation records a stream's usage (not even
				// with include_usage): the estimate comes from the message
				// text's length, about four bytes a token.
				estimated++
				if md["inputTokens"] != float64((len(prompt)+3)/4) || md["outputTokens"] != float64((len(stub.Text())+3)/4) {
					t.Errorf("%s: estimated stream = %v, want %d in %d out", which, md, (len(prompt)+3)/4, (len(stub.Text())+3)/4)
				}
				continue
			}
			exact++
			if md["inputTokens"] != float64(usage.Prompt) || md["outputTokens"] != float64(usage.Completion) ||
				!strings.HasPrefix(fmt.Sprint(md["model"]), "gpt-4o-mini") {
				t.Errorf("%s: exact call = %v, want %d in %d out", which, md, usage.Prompt, usage.Completion)
			}
		}
		// The normal call is exact; the streams are estimates, recorded,
		// never dropped.
		if exact != 1 || estimated != 2 {
			t.Errorf("%s: %d exact and %d estimated calls, want 1 and 2", which, exact, estimated)
		}
	}
}
