package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// defaultTimeout bounds a whole command (every retry included); drip tail
// uses it only for the stream's response headers.
const defaultTimeout = 30 * time.Second

// app is one invocation: its streams and the global flags.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	json    bool
	baseURL string
	timeout time.Duration
}

// command is one leaf of the command tree, e.g. "customers list".
type command struct {
	name    string
	args    string // synopsis of the positional arguments
	summary string
	nargs   int // the exact number of positional arguments
	// define registers the command's flags on fs and returns what runs it.
	define func(fs *flag.FlagSet) runner
}

// runner runs a command with its positional arguments.
type runner func(ctx context.Context, a *app, args []string) error

// commands lists every command in the order help shows them.
var commands = []command{
	cmdPing,
	cmdCustomersList, cmdCustomersGet, cmdCustomersCreate,
	cmdUsageTrack,
	cmdRunsShow, cmdRunsTimeline,
	cmdChargesList, cmdBalance,
	cmdWebhooksVerify,
	cmdTail,
}

// unavailable names the commands people look for that the Drip API cannot
// serve, and why.
var unavailable = map[string]string{
	"runs list": "the Drip API has no endpoint to list runs. Use `drip runs show <run-id>` for one run " +
		"(Run.ID() after the tracker flushed, or the id RecordRun returned), `drip tail` to follow new runs " +
		"on dripd, or dripd's dashboard (http://127.0.0.1:7420/) to browse them",
	"usage list": "the Drip API has no endpoint to list usage records. `drip charges list` shows billed usage; " +
		"`drip tail` follows new usage on dripd, and dripd's dashboard lists every record",
}

// globals registers the flags every command takes. Each default is the
// value parsed so far, so a flag given before the command survives.
func (a *app) globals(fs *flag.FlagSet) {
	fs.BoolVar(&a.json, "json", a.json, "print JSON for scripts instead of a table")
	fs.StringVar(&a.baseURL, "base-url", a.baseURL, "Drip API base URL (default $DRIP_API_URL, $DRIP_BASE_URL, else "+drip.DefaultBaseURL+")")
	fs.DurationVar(&a.timeout, "timeout", a.timeout, "give up on the command after this long")
}

// dispatch parses the global flags, finds the command and runs it.
func (a *app) dispatch(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("drip", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.globals(fs)
	version := fs.Bool("version", false, "print the version")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return a.help(nil)
		}
		return usageErrorf("%v", err)
	}
	args = fs.Args()
	if *version {
		args = []string{"version"}
	}
	if len(args) == 0 {
		a.writeHelp(a.stderr)
		return usageErrorf("no command given")
	}
	switch args[0] {
	case "help":
		return a.help(args[1:])
	case "version":
		fmt.Fprintln(a.stdout, "drip", drip.Version)
		return nil
	}
	cmd, rest, err := lookup(args)
	if err != nil {
		return err
	}
	cfs := a.flagSet(cmd)
	runCmd := cmd.define(cfs)
	pos, err := parseInterleaved(cfs, rest)
	if err == flag.ErrHelp {
		a.writeCommandHelp(a.stdout, cmd)
		return nil
	}
	if err != nil {
		return usageErrorf("%s: %v (see drip %s -h)", cmd.name, err, cmd.name)
	}
	if a.timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	if len(pos) != cmd.nargs {
		want := "no arguments"
		if cmd.nargs > 0 {
			want = cmd.args
		}
		return usageErrorf("%s takes %s, got %q (see drip %s -h)", cmd.name, want, pos, cmd.name)
	}
	return runCmd(ctx, a, pos)
}

// lookup finds the command named by the first one or two words of args.
func lookup(args []string) (*command, []string, error) {
	if len(args) > 1 {
		two := args[0] + " " + args[1]
		if why, ok := unavailable[two]; ok {
			return nil, nil, usageErrorf("there is no `drip %s`: %s", two, why)
		}
		for i := range commands {
			if commands[i].name == two {
				return &commands[i], args[2:], nil
			}
		}
	}
	var subs []string
	for i := range commands {
		if commands[i].name == args[0] {
			return &commands[i], args[1:], nil
		}
		if group, sub, ok := strings.Cut(commands[i].name, " "); ok && group == args[0] {
			subs = append(subs, sub)
		}
	}
	if len(subs) > 0 {
		if len(args) == 1 {
			return nil, nil, usageErrorf("`drip %s` needs a subcommand: %s", args[0], strings.Join(subs, ", "))
		}
		return nil, nil, usageErrorf("unknown command \"drip %s %s\"; drip %s has: %s", args[0], args[1], args[0], strings.Join(subs, ", "))
	}
	return nil, nil, usageErrorf("unknown command %q (see drip help)", args[0])
}

// flagSet is the flag set of cmd, with the global flags.
func (a *app) flagSet(cmd *command) *flag.FlagSet {
	fs := flag.NewFlagSet("drip "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by report
	a.globals(fs)
	return fs
}

// parseInterleaved parses flags wherever they appear among the positional
// arguments ("drip runs show run_1 --json"), which flag.Parse alone does
// not: it stops at the first argument that is not a flag.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		// Parse stops at the first non-flag, or drops a "--" and stops
		// there: after "--" everything is an argument.
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// client builds the Drip client from the environment and the global
// flags. A missing or malformed key is an auth error, a bad URL a usage
// error.
func (a *app) client() (*drip.Client, error) {
	opts := []drip.Option{drip.WithTimeout(a.timeout), drip.WithUserAgent("drip-cli/" + drip.Version)}
	if a.baseURL != "" {
		opts = append(opts, drip.WithBaseURL(a.baseURL))
	}
	c, err := drip.New(opts...)
	if err != nil {
		if e, ok := drip.AsError(err); ok && e.Field == "apiKey" {
			return nil, &authError{msg: e.Message}
		}
		return nil, usageErrorf("%v", err)
	}
	return c, nil
}

// apiKey is the key drip.New reads, for the one request the client cannot
// make (drip tail's stream).
func apiKey() string { return strings.TrimSpace(os.Getenv(drip.EnvAPIKey)) }

// keyPrefix shows enough of a key to tell keys apart and never the
// secret part: "sk_test_ab…".
func keyPrefix(key string) string {
	parts := strings.SplitN(key, "_", 3)
	if len(parts) == 3 {
		return parts[0] + "_" + parts[1] + "_" + truncate(parts[2], 2) + "…"
	}
	return truncate(key, 3) + "…"
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// withTimeout bounds a command by --timeout.
func (a *app) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, a.timeout)
}
