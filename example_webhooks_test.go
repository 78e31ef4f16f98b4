package drip_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
)

// Register a webhook endpoint and receive Drip's signed events with
// WebhookHandler, which verifies each delivery before your function runs.
func ExampleClient_CreateWebhook() {
	ctx := context.Background()
	local, err := driptest.StartLocal(ctx) // a local Drip; your program calls drip.New()
	if err != nil {
		log.Fatal(err)
	}
	defer local.Close()
	client := local.Client

	// Your endpoint's address (here a test server on this machine).
	receiver := httptest.NewUnstartedServer(nil)
	defer receiver.Close()

	wh, err := client.CreateWebhook(ctx, drip.WebhookParams{
		URL:    "http://" + receiver.Listener.Addr().String() + "/webhooks/drip", // https in production
		Events: []string{drip.WebhookCustomerCreated, drip.WebhookCustomerSpendingBlocked},
	})
	if err != nil {
		log.Fatal(err)
	}
	// wh.Secret is shown only now: keep it in your secret store. The
	// handler verifies each delivery's signature with it.
	created := make(chan *drip.Customer, 1)
	receiver.Config.Handler = drip.WebhookHandler(wh.Secret, func(ctx context.Context, e drip.WebhookEvent) error {
		switch e.Type {
		case drip.WebhookCustomerCreated:
			c, err := e.Customer()
			if err != nil {
				return err // answered 500: Drip delivers it again later
			}
			created <- c
		case drip.WebhookCustomerSpendingBlocked:
			alert, err := e.SpendingAlert()
			if err != nil {
				return err
			}
			log.Printf("customer %s blocked at %s", alert.CustomerID, alert.CurrentUsage)
		}
		return nil
	})
	receiver.Start()

	if _, err := client.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "user_42"}); err != nil {
		log.Fatal(err)
	}
	c := <-created
	fmt.Println("customer.created:", c.ExternalCustomerID)
	// Output:
	// customer.created: user_42
}
