// Command drip looks at and records what Drip metered, from a terminal: it
// talks to the Drip API through the public client, so it works against
// hosted Drip and against a local dripd alike.
//
// Install:
//
//	go install github.com/drip-sdk/drip-go/cmd/drip@latest
//
// It reads the API key from DRIP_API_KEY (never from a flag, so the key
// stays out of shell history and process lists) and the API's base URL
// from --base-url, DRIP_API_URL or DRIP_BASE_URL (for dripd:
// http://127.0.0.1:7420/v1).
//
// Usage:
//
//	drip [--json] [--base-url URL] [--timeout 30s] <command> [flags] [args]
//
//	drip ping                                   check the API answers and accepts the key
//	drip customers list [--status S] [--limit N]
//	drip customers get <id>
//	drip customers create --external-id ID [--onchain-address 0x…] [--internal] [--metadata k=v]…
//	drip usage track --customer ID|--external-id ID --meter M --quantity Q
//	                 [--mode sync|async|internal] [--idempotency-key K] [--units U] [--metadata k=v]…
//	drip runs show <run-id>                     the run's timeline drawn in the terminal
//	drip runs timeline <run-id> [--json]        every event of the run
//	drip charges list [--customer ID] [--status S] [--limit N]
//	drip balance <customer-id>
//	drip webhooks verify --secret whsec_… --signature 't=…,v1=…' [--tolerance 5m] < payload
//	drip tail                                   follow new runs, events and usage (dripd only)
//	drip help [command]
//	drip version
//
// Every command takes --json (global, before or after the command): one
// JSON document on stdout, with the API's field names (camelCase), money
// as exact decimal strings and times in RFC 3339; `drip tail --json`
// prints one JSON object per line, {"event": kind, "data": {...}}.
// Without --json, output is a table for people. Flags may come before or
// after the arguments.
//
// There is no `drip runs list` or `drip usage list`: the Drip API has no
// endpoint to list runs or usage records, and the command says so rather
// than inventing one. dripd's dashboard shows them; `drip tail` follows
// new ones as they arrive (dripd only: hosted Drip has no live stream).
//
// Errors go to stderr with Drip's code and message (as a JSON object
// {"error": {...}} with --json), never the API key. Exit codes:
//
//	0    ok
//	1    Drip/API error: the API refused the call, or could not be reached
//	2    usage error: unknown command or flag, missing or invalid argument
//	3    not found: no such customer, run or charge; or no live stream on this server
//	4    auth: no API key, or the key was refused or lacks permission
//	5    verification failed: the webhook signature does not match
//	130  interrupted (Ctrl-C), except `drip tail`, which Ctrl-C ends with 0
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, timeout: defaultTimeout}
	err := a.dispatch(ctx, args)
	return a.report(ctx, err)
}
