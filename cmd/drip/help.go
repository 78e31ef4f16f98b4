package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

const helpHeader = `drip looks at and records what Drip metered. It talks to the Drip API
through the public Go client, so it works against hosted Drip and a local
dripd alike.

Usage: drip [--json] [--base-url URL] [--timeout 30s] <command> [flags] [args]

Environment:
  DRIP_API_KEY                  the API key (sk_… or pk_…); never taken from a flag
  DRIP_API_URL, DRIP_BASE_URL   the API's base URL (dripd: http://127.0.0.1:7420/v1)

Commands:
`

const helpFooter = `
Global flags (before or after the command):
  --json         one JSON document on stdout, the API's field names, money as exact
                 decimal strings; errors as {"error": {...}} on stderr
  --base-url     the API's base URL, overriding the environment
  --timeout      give up on the command after this long (default 30s)

There is no "drip runs list" or "drip usage list": the Drip API has no endpoint
to list runs or usage records. dripd's dashboard shows them; "drip tail"
follows new ones on dripd.

Exit codes:
  0    ok
  1    Drip/API error: the API refused the call, or could not be reached
  2    usage error: unknown command or flag, missing or invalid argument
  3    not found: no such customer, run or charge; or no live stream on this server
  4    auth: no API key, or the key was refused or lacks permission
  5    verification failed: the webhook signature does not match
  130  interrupted (Ctrl-C), except "drip tail", which Ctrl-C ends with 0

"drip help <command>" or "drip <command> -h" shows a command's flags.
`

// help prints the overview, or one command's help when args name one.
func (a *app) help(args []string) error {
	if len(args) == 0 {
		a.writeHelp(a.stdout)
		return nil
	}
	cmd, _, err := lookup(args)
	if err != nil {
		return err
	}
	a.writeCommandHelp(a.stdout, cmd)
	return nil
}

func (a *app) writeHelp(w io.Writer) {
	fmt.Fprint(w, helpHeader)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	tw.Flush()
	fmt.Fprint(w, helpFooter)
}

// writeCommandHelp prints cmd's synopsis and flags, its own before the
// global ones.
func (a *app) writeCommandHelp(w io.Writer, cmd *command) {
	fmt.Fprintf(w, "Usage: drip %s [flags]\n\n%s\n", strings.TrimSpace(cmd.name+" "+cmd.args), cmd.summary)
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	cmd.define(fs)
	var own strings.Builder
	fs.SetOutput(&own)
	fs.PrintDefaults()
	if own.Len() > 0 {
		fmt.Fprintf(w, "\nFlags:\n%s", own.String())
	}
	g := flag.NewFlagSet("globals", flag.ContinueOnError)
	(&app{timeout: defaultTimeout}).globals(g)
	var globals strings.Builder
	g.SetOutput(&globals)
	g.PrintDefaults()
	fmt.Fprintf(w, "\nGlobal flags:\n%s\nExit codes: 0 ok, 1 API error, 2 usage, 3 not found, 4 auth, 5 verification failed (see drip help).\n", globals.String())
}
