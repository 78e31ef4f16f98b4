package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/middleware"
)

// Meter an HTTP API: every request the handler serves is one api_calls
// record for the customer your authentication says it is. The example
// records into a local Drip (package dripserver); in your program drip.New()
// reads DRIP_API_KEY and DRIP_BASE_URL.
func ExampleNew() {
	ctx := context.Background()
	local, err := driptest.StartLocal(ctx) // a local Drip; your program calls drip.New()
	if err != nil {
		log.Fatal(err)
	}
	defer local.Close()
	client := local.Client
	acme, err := client.GetOrCreateCustomer(ctx, "acme", nil)
	if err != nil {
		log.Fatal(err)
	}

	tracker := drip.NewTracker(client)
	metered := middleware.New(middleware.Config{
		Meter:   "api_calls",
		Tracker: tracker,
		CustomerResolver: func(r *http.Request) (string, error) {
			if r.Header.Get("Authorization") == "Bearer key-acme" { // your own auth here
				return acme.ID, nil
			}
			return "", errors.New("unknown API key")
		},
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "item %s", r.PathValue("id"))
	})
	srv := httptest.NewServer(metered(mux))

	for _, key := range []string{"key-acme", "key-unknown"} {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/items/42", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(key, resp.StatusCode, strings.TrimSpace(string(body)))
	}

	// Stop serving, then deliver what the tracker holds.
	srv.Close()
	shutdownCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := tracker.Shutdown(shutdownCtx); err != nil {
		log.Fatal(err)
	}

	// What Drip recorded (the local server's store lists usage).
	usage, err := local.Store().UsageRecords(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, u := range usage {
		fmt.Println(u.UsageType, u.Quantity, u.Metadata["route"], u.CustomerID == acme.ID)
	}
	// Output:
	// key-acme 200 item 42
	// key-unknown 400 {"error":"the customer of this request could not be resolved","code":"CUSTOMER_RESOLUTION_FAILED"}
	// api_calls 1 GET /v1/items/{id} true
}
