package driptest

import (
	"context"
	"log/slog"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
)

// LocalAPIKey is the key Local's client sends; a local dripd accepts any
// well-formed key.
const LocalAPIKey = "sk_test_local_dripd"

// Local is a dripd started in this process outside a test (an example, a
// demo), with a client for it. Its embedded Instance reads back what was
// recorded (Store). Close it when done.
type Local struct {
	*dripserver.Instance
	Client *drip.Client
}

// StartLocal starts dripd on 127.0.0.1 with an in-memory store and a quiet
// logger, and a client for it (opts are added to the client's). Use
// NewServer in tests.
func StartLocal(ctx context.Context, opts ...drip.Option) (*Local, error) {
	inst, err := dripserver.Start(ctx, "127.0.0.1:0", nil, dripserver.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return nil, err
	}
	l := &Local{Instance: inst}
	l.Client, err = drip.New(append([]drip.Option{drip.WithAPIKey(LocalAPIKey), drip.WithBaseURL(inst.BaseURL())}, opts...)...)
	if err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// Close shuts the local dripd down, giving requests in flight 5 seconds.
func (l *Local) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return l.Shutdown(ctx)
}
