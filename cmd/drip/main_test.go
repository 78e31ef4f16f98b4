package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
)

// binDir holds the binary built once for the tests that run it.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "drip-cli-test")
	if err != nil {
		panic(err)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

var buildBinary = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(binDir, "drip")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
})

// binary builds drip (once) and returns its path.
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

// env is where a drip invocation points: its key and base URL.
type env struct {
	key, baseURL string
	extra        []string // more KEY=value pairs
}

// envFor points drip at srv with its key.
func envFor(srv *driptest.Server) env { return env{key: srv.APIKey(), baseURL: srv.BaseURL()} }

// dripCmd is drip with a Drip environment of e only (nothing inherited
// from the developer's own DRIP_ variables).
func dripCmd(ctx context.Context, t *testing.T, e env, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, binary(t), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DRIP_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if e.key != "" {
		cmd.Env = append(cmd.Env, drip.EnvAPIKey+"="+e.key)
	}
	if e.baseURL != "" {
		cmd.Env = append(cmd.Env, drip.EnvBaseURL+"="+e.baseURL)
	}
	cmd.Env = append(cmd.Env, e.extra...)
	return cmd
}

// result is what one run of drip printed and its exit code.
type result struct {
	code           int
	stdout, stderr string
}

// drip runs the binary to completion with stdin and checks that the key
// never reached its output.
func runDrip(t *testing.T, e env, stdin io.Reader, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := dripCmd(ctx, t, e, args...)
	var out, errOut bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errOut
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errOut.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	default:
		t.Fatalf("drip %v: %v", args, err)
	}
	if e.key != "" && strings.Contains(res.stdout+res.stderr, e.key) {
		t.Errorf("drip %v printed the API key:\n%s%s", args, res.stdout, res.stderr)
	}
	return res
}

// ok runs drip and fails the test unless it exits 0.
func ok(t *testing.T, e env, args ...string) result {
	t.Helper()
	res := runDrip(t, e, nil, args...)
	if res.code != 0 {
		t.Fatalf("drip %v: exit %d\nstdout: %s\nstderr: %s", args, res.code, res.stdout, res.stderr)
	}
	return res
}

// decodeJSON reads drip's --json output into v.
func decodeJSON(t *testing.T, res result, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(res.stdout), v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, res.stdout)
	}
}

// hasLine reports whether out has a line that, with runs of spaces
// collapsed, contains want (also collapsed): table columns may shift
// with the data's widths.
func hasLine(out, want string) bool {
	want = strings.Join(strings.Fields(want), " ")
	for l := range strings.SplitSeq(out, "\n") {
		if strings.Contains(strings.Join(strings.Fields(l), " "), want) {
			return true
		}
	}
	return false
}

func wantLines(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !hasLine(out, w) {
			t.Errorf("%s lacks a line with %q:\n%s", what, w, out)
		}
	}
}

// sdk is a client on srv, for recording what the CLI then reads.
func sdk(t *testing.T, srv *driptest.Server) *drip.Client {
	t.Helper()
	c, err := drip.New(drip.WithAPIKey(srv.APIKey()), drip.WithBaseURL(srv.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
