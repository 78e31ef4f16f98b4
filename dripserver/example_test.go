package dripserver_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/drip-sdk/drip-go/dripserver"
)

// Start an embedded dripd with an in-memory store and record usage on it.
func ExampleStart() {
	ctx := context.Background()
	inst, err := dripserver.Start(ctx, "127.0.0.1:0", nil,
		dripserver.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		panic(err)
	}
	defer inst.Shutdown(ctx)

	req, _ := http.NewRequest("POST", inst.BaseURL()+"/usage/internal",
		strings.NewReader(`{"externalCustomerId":"user_1","usageType":"tokens","quantity":1500}`))
	req.Header.Set("Authorization", "Bearer sk_test_example_key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	recs, _ := inst.Store().UsageRecords(ctx)
	fmt.Println(resp.StatusCode, len(recs), recs[0].UsageType, recs[0].Quantity)
	// Output: 200 1 tokens 1500
}
