// Command dripd is a local Drip-compatible API server: the official Drip
// clients and drip-go talk to it as to the hosted API, and it keeps what
// they send in a SQLite file. Use it to run examples with no account and no
// network, to watch what an app records, and to test instrumentation.
//
// Usage:
//
//	dripd [--addr 127.0.0.1:7420] [--db PATH|:memory:] [--api-key KEY]...
//	      [--log-level debug|info|warn|error] [--starting-balance USDC]
//	      [--chaos-error-rate P] [--chaos-drop-rate P] [--chaos-latency D]
//	      [--ui=false]
//
// On start it prints the base URL to use and the dashboard's address, for
// example
//
//	DRIP_BASE_URL=http://127.0.0.1:7420/v1
//	dashboard: http://127.0.0.1:7420/
//
// The dashboard (package dripserver/dashboard) shows what was recorded:
// usage and cost over time, customers, runs with their timelines, usage
// records, webhook deliveries and a live view. It answers only loopback
// clients, unless dripd runs with --api-key: then it asks for one of the
// keys first. --ui=false turns it off.
//
// Every request is logged at info level (method, path, status, duration and
// the API key's first characters, never the key); --log-level warn quiets
// that.
//
// The database defaults to $XDG_DATA_HOME/drip/dripd.db (or
// ~/.local/share/drip/dripd.db). With no --api-key and no DRIPD_API_KEYS
// (comma-separated), any well-formed sk_/pk_ key is accepted (dev mode).
//
// --starting-balance is the USDC balance a customer that can be billed
// (created with an onchainAddress, or provisioned) starts with: 100 by
// default. Charges draw on it; one it does not cover fails.
//
// The chaos flags inject faults for resilience testing, off by default:
// --chaos-error-rate answers that fraction of API requests 503 before doing
// anything; --chaos-drop-rate commits the request and then closes the
// connection without a reply; --chaos-latency delays every API request.
//
// Clients that send their headers or body too slowly are disconnected
// (10 s for headers, 30 s for a body), and every stored string, metadata
// object and quantity has a limit; both are listed in package dripserver.
//
// SIGINT or SIGTERM stops it gracefully: requests in flight finish, then
// the database is closed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/dripserver/dashboard"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "dripd:", err)
		}
		os.Exit(2)
	}
}

// keyList is a repeatable flag.
type keyList []string

func (k *keyList) String() string { return strings.Join(*k, ",") }
func (k *keyList) Set(v string) error {
	*k = append(*k, v)
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dripd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		keys      keyList
		addr      = fs.String("addr", "127.0.0.1:7420", "listen address (port 0 picks a free port)")
		db        = fs.String("db", defaultDBPath(), `SQLite database file, or ":memory:"`)
		logLevel  = fs.String("log-level", "info", "log level: debug, info, warn or error")
		errorRate = fs.Float64("chaos-error-rate", 0, "fraction of API requests answered 503 before doing anything")
		dropRate  = fs.Float64("chaos-drop-rate", 0, "fraction of API requests committed and then left without a reply")
		latency   = fs.Duration("chaos-latency", 0, "delay added to every API request")
		starting  = fs.String("starting-balance", dripserver.DefaultStartingBalance, "USDC balance a billable customer starts with")
		ui        = fs.Bool("ui", true, "serve the web dashboard at the server's origin")
	)
	fs.Var(&keys, "api-key", "accepted API key (repeatable; also DRIPD_API_KEYS, comma-separated); none: any well-formed key")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"--chaos-error-rate", *errorRate}, {"--chaos-drop-rate", *dropRate}} {
		if !(p.v >= 0 && p.v <= 1) {
			return fmt.Errorf("%s must be between 0 and 1", p.name)
		}
	}
	if _, err := dripserver.ParseStartingBalance(*starting); err != nil {
		return fmt.Errorf("--starting-balance: %w", err)
	}
	if env := os.Getenv("DRIPD_API_KEYS"); env != "" {
		keys = append(keys, strings.Split(env, ",")...)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	if *db != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(*db), 0o755); err != nil {
			return fmt.Errorf("create database directory: %w", err)
		}
	}
	store, err := dripserver.OpenStore(*db)
	if err != nil {
		return err
	}
	defer store.Close()

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := []dripserver.Option{
		dripserver.WithLogger(log),
		dripserver.WithAPIKeys(keys...),
		dripserver.WithErrorRate(*errorRate),
		dripserver.WithDropRate(*dropRate),
		dripserver.WithLatency(*latency),
		dripserver.WithStartingBalance(*starting),
	}
	if *ui {
		opts = append(opts, dripserver.WithUI(dashboard.New))
	}
	inst, err := dripserver.Start(ctx, *addr, store, opts...)
	if err != nil {
		return err
	}
	log.Info("dripd listening", slog.String("base_url", inst.BaseURL()), slog.String("db", *db),
		slog.Bool("ui", *ui), slog.Float64("chaos_error_rate", *errorRate), slog.Float64("chaos_drop_rate", *dropRate),
		slog.Duration("chaos_latency", *latency))
	fmt.Fprintf(stdout, "DRIP_BASE_URL=%s\n", inst.BaseURL())
	if *ui {
		fmt.Fprintf(stdout, "dashboard: %s/\n", inst.URL())
	}

	<-ctx.Done()
	log.Info("dripd shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return inst.Shutdown(shutdownCtx)
}

// defaultDBPath is dripd.db in the user's data directory (XDG).
func defaultDBPath() string {
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "dripd.db"
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "drip", "dripd.db")
}
