package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
)

// binDir holds the binary built once for the tests that run it.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "drip-mcp-test")
	if err != nil {
		panic(err)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

var buildBinary = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(binDir, "drip-mcp")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
})

// binary builds drip-mcp (once) and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// command is drip-mcp with a clean Drip environment pointing at srv.
func command(ctx context.Context, bin, key string, srv *driptest.Server, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DRIP_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, drip.EnvAPIKey+"="+key, drip.EnvBaseURL+"="+srv.BaseURL())
	return cmd
}

func connectCmd(t *testing.T, cmd *exec.Cmd) *mcp.ClientSession {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, nil).
		Connect(context.Background(), &mcp.CommandTransport{Command: cmd, TerminateDuration: 2 * time.Second}, nil)
	if err != nil {
		t.Fatalf("connect: %v (stderr: %s)", err, stderr.String())
	}
	t.Cleanup(func() {
		_ = cs.Close()
		if strings.Contains(stderr.String(), "sk_test") {
			t.Errorf("the key reached stderr: %s", stderr.String())
		}
	})
	return cs
}

func toolNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
	}
	slices.Sort(names)
	return names
}

func callTool(t *testing.T, cs *mcp.ClientSession, name string, args any) map[string]any {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError {
		t.Fatalf("%s: %+v", name, res.Content)
	}
	b, _ := json.Marshal(res.StructuredContent)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStdioBinary(t *testing.T) {
	bin := binary(t)
	srv := driptest.NewServer(t)
	cs := connectCmd(t, command(context.Background(), bin, srv.APIKey(), srv))

	if n := len(toolNames(t, cs)); n != 16 {
		t.Fatalf("%d tools, want 16", n)
	}
	if got := callTool(t, cs, "drip_ping", map[string]any{}); got["ok"] != true {
		t.Errorf("ping = %v", got)
	}
	cust := callTool(t, cs, "drip_create_customer", map[string]any{"externalCustomerId": "acme"})
	usage := callTool(t, cs, "drip_track_usage", map[string]any{"customerId": cust["id"], "meter": "api_calls", "quantity": 2})
	if usage["success"] != true {
		t.Errorf("track_usage = %v", usage)
	}
	run := callTool(t, cs, "drip_record_run", map[string]any{
		"customerId": "acme", "workflow": "agent", "status": "COMPLETED",
		"events": []map[string]any{{"eventType": "llm.completion", "model": "gpt-4o-mini", "inputTokens": 10, "outputTokens": 5}},
	})
	if run["eventsCreated"] != float64(1) {
		t.Errorf("record_run = %v", run)
	}
	if recs := srv.UsageRecords(); len(recs) != 1 || recs[0].Quantity != 2 {
		t.Errorf("usage records = %+v", recs)
	}
	if runs := srv.Runs(); len(runs) != 1 || runs[0].EventCount != 1 {
		t.Errorf("runs = %+v", runs)
	}
}

func TestStdioBinaryLeastPrivilege(t *testing.T) {
	bin := binary(t)
	srv := driptest.NewServer(t)
	pk := connectCmd(t, command(context.Background(), bin, "pk_test_0123456789", srv))
	if n := len(toolNames(t, pk)); n != 15 {
		t.Errorf("pk_ key lists %d tools, want 15 (all but drip_list_contracts, which needs sk_)", n)
	}
	ro := connectCmd(t, command(context.Background(), bin, srv.APIKey(), srv, "--read-only"))
	want := []string{"drip_check_entitlement", "drip_get_balance", "drip_get_customer", "drip_get_run", "drip_get_run_timeline",
		"drip_list_charges", "drip_list_contracts", "drip_list_customers", "drip_list_subscriptions", "drip_ping"}
	if got := toolNames(t, ro); !slices.Equal(got, want) {
		t.Errorf("--read-only lists %v, want %v", got, want)
	}
}

func TestHTTPBinary(t *testing.T) {
	bin := binary(t)
	srv := driptest.NewServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := command(ctx, bin, srv.APIKey(), srv, "--http", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stderr)
	endpoint := ""
	for lines.Scan() {
		if _, url, ok := strings.Cut(lines.Text(), "streamable HTTP on "); ok {
			endpoint = url
			break
		}
	}
	if endpoint == "" {
		t.Fatal("no listening line on stderr")
	}
	go func() {
		for lines.Scan() {
		}
	}()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint, DisableStandaloneSSE: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if got := callTool(t, cs, "drip_list_customers", map[string]any{}); got["count"] != float64(0) {
		t.Errorf("list_customers = %v", got)
	}
}

func TestFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, &out, &errOut); err != nil || !strings.Contains(out.String(), drip.Version) {
		t.Errorf("--version: %v %q", err, out.String())
	}
	t.Setenv(drip.EnvAPIKey, "sk_test_0123456789")
	if err := run(context.Background(), []string{"--http", "0.0.0.0:0"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("--http on all interfaces: %v", err)
	}
	t.Setenv(drip.EnvAPIKey, "")
	if err := run(context.Background(), nil, &out, &errOut); err == nil || !strings.Contains(err.Error(), "DRIP_API_KEY") {
		t.Errorf("no key: %v", err)
	}
	if err := run(context.Background(), []string{"stray"}, &out, &errOut); err == nil {
		t.Error("stray argument accepted")
	}
}
