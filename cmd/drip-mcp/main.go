// Command drip-mcp is a Model Context Protocol server that gives coding
// agents (Claude Code, Cursor, any MCP client) native Drip tools:
// drip_track_usage, drip_record_run, drip_start_run, drip_emit_event,
// drip_end_run, drip_get_run, drip_get_run_timeline, drip_create_customer,
// drip_get_customer, drip_list_customers, drip_get_balance,
// drip_list_charges, drip_check_entitlement, drip_list_subscriptions,
// drip_list_contracts (sk_ keys only) and drip_ping.
//
// Install and configure:
//
//	go install github.com/drip-sdk/drip-go/cmd/drip-mcp@latest
//
//	{"mcpServers": {"drip": {"command": "drip-mcp", "env": {"DRIP_API_KEY": "pk_live_..."}}}}
//
// It reads DRIP_API_KEY (a pk_ public key is enough for every tool, and is
// the least privilege) and DRIP_BASE_URL (or DRIP_API_URL), and talks MCP
// over stdin/stdout. Flags:
//
//	--http 127.0.0.1:PORT  serve streamable HTTP at http://127.0.0.1:PORT/mcp instead of stdio
//	--read-only            list only the tools that read (ping, runs, timelines, customers)
//	--allow-remote         allow --http on a non-loopback address (the endpoint has no auth of its own)
//	--version              print the version and exit
//
// Nothing but MCP messages is written to stdout; logs go to stderr. Drip
// errors come back as tool errors with the Drip code and message, never
// the key.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/internal/mcpserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "drip-mcp:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("drip-mcp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	httpAddr := fs.String("http", "", "serve streamable HTTP on this address (e.g. 127.0.0.1:8931) instead of stdio")
	readOnly := fs.Bool("read-only", false, "list only the read tools")
	allowRemote := fs.Bool("allow-remote", false, "allow --http on a non-loopback address")
	version := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *version {
		fmt.Fprintln(stdout, "drip-mcp", drip.Version)
		return nil
	}

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	client, err := drip.New(drip.WithLogger(logger), drip.WithUserAgent("drip-mcp/"+drip.Version))
	if err != nil {
		return err // names the field; a missing key says to set DRIP_API_KEY
	}
	server := mcpserver.New(client, mcpserver.Options{ReadOnly: *readOnly, Logger: logger})

	if *httpAddr == "" {
		return server.Run(ctx, &mcp.StdioTransport{})
	}
	return serveHTTP(ctx, server, *httpAddr, *allowRemote, stderr, logger)
}

// serveHTTP serves the streamable HTTP transport until ctx ends.
func serveHTTP(ctx context.Context, server *mcp.Server, addr string, allowRemote bool, stderr io.Writer, logger *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--http %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); !allowRemote && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--http %q is not a loopback address; the endpoint has no auth of its own and acts with your DRIP_API_KEY (use --allow-remote behind your own auth)", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, &mcp.StreamableHTTPOptions{Logger: logger})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	// The one line on stderr a supervisor can wait for. The handler
	// answers on every path; /mcp is the conventional one.
	fmt.Fprintf(stderr, "drip-mcp: streamable HTTP on http://%s/mcp\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
