package main

import (
	"context"
	"testing"
)

// TestExampleRunsOffline runs the example against its embedded dripd and
// OpenAI stub.
func TestExampleRunsOffline(t *testing.T) {
	for _, k := range []string{"DRIP_BASE_URL", "DRIP_API_URL", "OPENAI_BASE_URL"} {
		t.Setenv(k, "")
	}
	if err := run(context.Background()); err != nil {
		t.Fatal(err)
	}
}
