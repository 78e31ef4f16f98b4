package main

import (
	"context"
	"testing"
)

// The README promises this example runs offline with no configuration.
func TestRunsOffline(t *testing.T) {
	t.Setenv("DRIP_BASE_URL", "")
	t.Setenv("DRIP_API_URL", "")
	if err := run(context.Background()); err != nil {
		t.Fatal(err)
	}
}
