// Package devenv gives the examples a Drip client: the real API when
// DRIP_BASE_URL (or DRIP_API_URL) is set, else an embedded dripd on
// 127.0.0.1 with an in-memory store, so every example runs offline with no
// account and no API key.
package devenv

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
)

// DevKey is the key examples use against the embedded dripd (dev mode
// accepts any well-formed key).
const DevKey = "sk_test_examples_000000"

// Env is where an example records: a client, and the embedded dripd when
// it runs offline.
type Env struct {
	Client *drip.Client
	// Local is the embedded dripd, nil when the client points at Drip; the
	// examples read what was recorded from its store.
	Local *dripserver.Instance
}

// Start returns the example's Env. out receives one line saying where the
// client points. Close the Env when done.
func Start(ctx context.Context, out io.Writer, opts ...drip.Option) (*Env, error) {
	if os.Getenv(drip.EnvBaseURL) != "" || os.Getenv(drip.EnvAPIURL) != "" {
		c, err := drip.New(opts...)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "using the Drip API at %s\n", c.BaseURL())
		return &Env{Client: c}, nil
	}
	inst, err := dripserver.Start(ctx, "127.0.0.1:0", nil, dripserver.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return nil, fmt.Errorf("starting the embedded dripd: %w", err)
	}
	opts = append([]drip.Option{drip.WithAPIKey(DevKey), drip.WithBaseURL(inst.BaseURL())}, opts...)
	c, err := drip.New(opts...)
	if err != nil {
		inst.Shutdown(ctx)
		return nil, err
	}
	fmt.Fprintf(out, "DRIP_BASE_URL not set: using an embedded dripd at %s\n", inst.BaseURL())
	return &Env{Client: c, Local: inst}, nil
}

// Close stops the embedded dripd, if any.
func (e *Env) Close() {
	if e.Local != nil {
		e.Local.Shutdown(context.Background())
	}
}

// Client is Start for examples that need only the client; the returned
// function releases what it started.
func Client(ctx context.Context, out io.Writer, opts ...drip.Option) (*drip.Client, func(), error) {
	env, err := Start(ctx, out, opts...)
	if err != nil {
		return nil, nil, err
	}
	return env.Client, env.Close, nil
}

// PrintTimeline writes a run's timeline, one event a line.
func PrintTimeline(ctx context.Context, out io.Writer, c *drip.Client, runID string) error {
	tl, err := c.GetRunTimeline(ctx, runID, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "run %s (%s) %s: %d events, quantity %s, cost %s USD\n", tl.RunID, tl.WorkflowName, tl.Status,
		tl.Summary.TotalEvents, tl.Summary.TotalQuantity, tl.Summary.TotalCostUnits)
	for e, err := range c.TimelineEvents(ctx, runID, 100) {
		if err != nil {
			return err
		}
		line := fmt.Sprintf("  %-16s %-8s", e.Type, e.Outcome)
		if m, ok := e.Metadata["model"]; ok {
			line += fmt.Sprintf(" model=%v in=%v out=%v", m, e.Metadata["inputTokens"], e.Metadata["outputTokens"])
		}
		if n, ok := e.Metadata["name"]; ok {
			line += fmt.Sprintf(" name=%v", n)
		}
		if e.Duration > 0 {
			line += fmt.Sprintf(" %v", e.Duration)
		}
		if e.CostUnits != nil {
			line += fmt.Sprintf(" cost=%.6f", *e.CostUnits)
		}
		fmt.Fprintln(out, line)
	}
	return nil
}
