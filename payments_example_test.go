package drip_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/url"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
)

// Map a provider's usage webhook to a meter once, then forward its
// payloads as they come: Drip picks the customer, the quantity and the
// idempotency key out of each one, so a payload delivered twice counts
// once.
func ExampleClient_Ingest() {
	ctx := context.Background()
	local, err := driptest.StartLocal(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer local.Close()
	client := local.Client

	if _, err := client.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "acme"}); err != nil {
		log.Fatal(err)
	}
	// Managing mappings needs a secret (sk_) key; Ingest works with pk_.
	if _, err := client.CreatePayloadMapping(ctx, drip.PayloadMappingParams{
		Name: "Vendor usage", SourceName: "vendor", TargetUnitType: "api_calls",
		TargetQuantityPath:    "$.usage.calls",
		TargetCustomerIDPath:  "$.account.external_id",
		TargetIdempotencyPath: "$.event_id",
		TargetMetadataMap:     map[string]string{"endpoint": "$.requests[-1].path"},
	}); err != nil {
		log.Fatal(err)
	}
	payload := []byte(`{"event_id":"ev_1","account":{"external_id":"acme"},"usage":{"calls":3},
		"requests":[{"path":"/search"},{"path":"/answer"}]}`)
	for range 2 {
		res, err := client.Ingest(ctx, "vendor", payload)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(res.Event.Meter, res.Event.Quantity, res.Event.Metadata["endpoint"], "replayed:", res.Replayed)
	}
	// Output:
	// api_calls 3 /answer replayed: false
	// api_calls 3 /answer replayed: true
}

// Send a customer to checkout: the session's URL is a page (on the local
// dripd, a page of its own) where paying credits the customer's balance
// and redirects back to the return URL with session_id, customer_id and
// status.
func ExampleClient_Checkout() {
	ctx := context.Background()
	local, err := driptest.StartLocal(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer local.Close()
	client := local.Client

	cust, err := client.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "buyer_1"})
	if err != nil {
		log.Fatal(err)
	}
	session, err := client.Checkout(ctx, drip.CheckoutParams{
		CustomerID: cust.ID, Amount: drip.MustDecimal("20"), ReturnURL: "https://app.example/billing/done",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pay $" + session.AmountUSD.StringFixed(2) + " before the session expires")

	// What the customer's browser does on the local page: press Pay.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(session.URL, url.Values{"action": {"pay"}})
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	back, _ := url.Parse(resp.Header.Get("Location"))
	fmt.Println("back at", back.Path, "status", back.Query().Get("status"))

	bal, err := client.GetBalance(ctx, cust.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("balance", bal.Balance.StringFixed(2))
	// Output:
	// pay $20.00 before the session expires
	// back at /billing/done status complete
	// balance 20.00
}
