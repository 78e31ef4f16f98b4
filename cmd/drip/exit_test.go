package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"reflect"
	"strings"
	"testing"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
)

func TestExitCodesAndErrors(t *testing.T) {
	srv := driptest.NewServer(t, driptest.WithAPIKeys("sk_test_the_right_key_01"))
	good := env{key: "sk_test_the_right_key_01", baseURL: srv.BaseURL()}
	wrong := env{key: "sk_test_a_wrong_key_0002", baseURL: srv.BaseURL()}
	for _, tc := range []struct {
		name   string
		env    env
		args   []string
		code   int
		stderr string // the line on stderr should contain it
	}{
		{"unknown customer", good, []string{"customers", "get", "cus_nope"}, exitNotFound, "404 CUSTOMER_NOT_FOUND"},
		{"unknown run", good, []string{"runs", "show", "run_nope"}, exitNotFound, "404 NOT_FOUND"},
		{"unknown run timeline", good, []string{"runs", "timeline", "run_nope", "--json"}, exitNotFound, `"code":"NOT_FOUND"`},
		{"balance of nobody", good, []string{"balance", "cus_nope"}, exitNotFound, "CUSTOMER_NOT_FOUND"},
		{"wrong key", wrong, []string{"customers", "list"}, exitAuth, "401 UNAUTHORIZED"},
		{"wrong key ping", wrong, []string{"ping"}, exitAuth, "UNAUTHORIZED"},
		{"no key", env{baseURL: srv.BaseURL()}, []string{"customers", "list"}, exitAuth, "DRIP_API_KEY"},
		{"malformed key", env{key: "not_a_drip_key", baseURL: srv.BaseURL()}, []string{"ping"}, exitAuth, "sk_ or pk_"},
		{"public key on a secret call", env{key: "pk_test_the_right_key", baseURL: srv.BaseURL()}, []string{"customers", "list"}, exitAuth, ""},
		{"no command", good, nil, exitUsage, "no command"},
		{"unknown command", good, []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"unknown subcommand", good, []string{"customers", "delete"}, exitUsage, "customers has: list, get, create"},
		{"missing subcommand", good, []string{"runs"}, exitUsage, "needs a subcommand: show, timeline"},
		{"missing argument", good, []string{"runs", "show"}, exitUsage, "takes <run-id>"},
		{"extra argument", good, []string{"balance", "a", "b"}, exitUsage, "takes <customer-id>"},
		{"unknown flag", good, []string{"customers", "list", "--bogus"}, exitUsage, "flag provided but not defined: -bogus"},
		{"bad flag value", good, []string{"charges", "list", "--limit", "many"}, exitUsage, "invalid value"},
		{"missing flag", good, []string{"usage", "track", "--customer", "c", "--meter", "m"}, exitUsage, "needs --quantity"},
		{"bad mode", good, []string{"usage", "track", "--customer", "c", "--meter", "m", "--quantity", "1", "--mode", "later"}, exitUsage, "--mode"},
		{"refused before sending", good, []string{"usage", "track", "--customer", "c", "--meter", "m", "--quantity", "-1"}, exitUsage, "VALIDATION_ERROR"},
		{"zero timeout", good, []string{"customers", "list", "--timeout", "0s"}, exitUsage, "--timeout must be positive"},
		{"bad base URL", env{key: good.key, baseURL: "ftp://example"}, []string{"ping"}, exitUsage, "base URL"},
		{"no runs list", good, []string{"runs", "list"}, exitUsage, "the Drip API has no endpoint to list runs"},
		{"no usage list", good, []string{"usage", "list"}, exitUsage, "no endpoint to list usage records"},
		{"unreachable API", env{key: good.key, baseURL: "http://127.0.0.1:1/v1"}, []string{"--timeout", "3s", "customers", "list"}, exitAPI, "drip: ListCustomers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runDrip(t, tc.env, nil, tc.args...)
			if res.code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", res.code, tc.code, res.stdout, res.stderr)
			}
			if !strings.Contains(res.stderr, tc.stderr) || res.stderr == "" {
				t.Errorf("stderr %q lacks %q", res.stderr, tc.stderr)
			}
			// ping reports what it found before failing; nothing else prints
			// on an error.
			if res.stdout != "" && tc.args != nil && tc.args[0] != "ping" {
				t.Errorf("an error wrote to stdout: %q", res.stdout)
			}
		})
	}
}

func TestErrorJSONOnStderr(t *testing.T) {
	srv := driptest.NewServer(t)
	res := runDrip(t, envFor(srv), nil, "--json", "customers", "get", "cus_nope")
	var got struct {
		Error struct {
			Code     string `json:"code"`
			Message  string `json:"message"`
			Status   int    `json:"status"`
			ExitCode int    `json:"exitCode"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(res.stderr), &got); err != nil {
		t.Fatalf("stderr is not JSON: %v\n%s", err, res.stderr)
	}
	if res.code != exitNotFound || got.Error.Code != drip.CodeCustomerNotFound || got.Error.Status != 404 ||
		got.Error.ExitCode != exitNotFound || !strings.Contains(got.Error.Message, "cus_nope") || res.stdout != "" {
		t.Errorf("exit %d, stderr %+v, stdout %q", res.code, got, res.stdout)
	}
}

func TestHelp(t *testing.T) {
	res := ok(t, env{}, "help")
	wantLines(t, "help", res.stdout,
		"runs show <run-id>", "webhooks verify", "tail",
		"0 ok", "3 not found", "4 auth", "5 verification failed",
		"DRIP_API_KEY", `There is no "drip runs list" or "drip usage list"`)
	for _, args := range [][]string{{"usage", "track", "-h"}, {"help", "usage", "track"}, {"usage", "track", "--help"}} {
		res := ok(t, env{}, args...)
		wantLines(t, "usage track -h", res.stdout, "Usage: drip usage track [flags]", "-idempotency-key", "-mode string", "Global flags:", "-json")
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		if res := ok(t, env{}, args...); res.stdout != "drip "+drip.Version+"\n" {
			t.Errorf("%v = %q", args, res.stdout)
		}
	}
}

func TestParseInterleaved(t *testing.T) {
	for _, tc := range []struct {
		args, pos []string
		json      bool
	}{
		{[]string{"run_1"}, []string{"run_1"}, false},
		{[]string{"run_1", "--json"}, []string{"run_1"}, true},
		{[]string{"--json", "run_1", "run_2"}, []string{"run_1", "run_2"}, true},
		{[]string{"run_1", "--", "--json"}, []string{"run_1", "--json"}, false},
	} {
		a := &app{}
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		a.globals(fs)
		pos, err := parseInterleaved(fs, tc.args)
		if err != nil || !reflect.DeepEqual(pos, tc.pos) || a.json != tc.json {
			t.Errorf("%q: pos %q json %v err %v; want %q %v", tc.args, pos, a.json, err, tc.pos, tc.json)
		}
	}
}

func TestKeyPrefix(t *testing.T) {
	for key, want := range map[string]string{
		"sk_test_abcdef0123456789": "sk_test_ab…",
		"pk_live_x":                "pk_live_x…",
		"weird":                    "wei…",
	} {
		if got := keyPrefix(key); got != want {
			t.Errorf("keyPrefix(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestExitCodeOfInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := exitCode(ctx, &drip.Error{Op: "GetRun", Code: drip.CodeNetwork, Err: context.Canceled}); got != exitInterrupted {
		t.Errorf("interrupted call: exit %d, want %d", got, exitInterrupted)
	}
	if got := exitCode(context.Background(), errors.New("boom")); got != exitAPI {
		t.Errorf("other error: exit %d, want %d", got, exitAPI)
	}
}
