package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	drip "github.com/drip-sdk/drip-go"
)

var cmdPing = command{
	name:    "ping",
	summary: "check that the API answers healthy and accepts the key",
	define:  func(*flag.FlagSet) runner { return ping },
}

// pingJSON is the --json output of drip ping.
type pingJSON struct {
	OK        bool   `json:"ok"`
	BaseURL   string `json:"baseUrl"`
	Status    string `json:"status"`
	LatencyMs int64  `json:"latencyMs"`
	KeyPrefix string `json:"keyPrefix"`
	KeyType   string `json:"keyType"`
	// KeyAccepted is null when the key could not be checked: a public
	// key may not make the read that proves it.
	KeyAccepted *bool `json:"keyAccepted"`
}

func ping(ctx context.Context, a *app, _ []string) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	ctx, cancel := a.withTimeout(ctx)
	defer cancel()
	res, err := c.Ping(ctx)
	if err != nil {
		return err
	}
	out := pingJSON{OK: res.OK, BaseURL: c.BaseURL(), Status: res.Status, LatencyMs: res.Latency.Milliseconds(),
		KeyPrefix: keyPrefix(apiKey()), KeyType: string(c.KeyType())}
	var keyErr error
	if res.OK && c.KeyType() == drip.KeySecret {
		// Verify's authenticated read (one customer) proves the key.
		keyErr = c.Verify(ctx)
		ok := keyErr == nil
		out.KeyAccepted = &ok
	}
	if err := a.emit(out, func(w io.Writer) {
		row(w, "api", out.BaseURL)
		row(w, "status", fmt.Sprintf("%s (%dms)", out.Status, out.LatencyMs))
		key := "not checked (a pk_ key cannot make the read that proves it)"
		if out.KeyAccepted != nil {
			key = map[bool]string{true: "accepted", false: "REFUSED"}[*out.KeyAccepted]
		}
		row(w, "key", out.KeyPrefix+" "+out.KeyType+", "+key)
	}); err != nil {
		return err
	}
	if keyErr != nil {
		return keyErr
	}
	if !res.OK {
		return fmt.Errorf("the API at %s answered its health check with status %q", c.BaseURL(), res.Status)
	}
	return nil
}
