package otelbridge_test

import (
	"context"
	"log"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/otelbridge"
)

func ExampleNewSpanProcessor() {
	client, err := drip.New() // DRIP_API_KEY from the environment
	if err != nil {
		log.Fatal(err)
	}
	tracker := drip.NewTracker(client)

	tp := sdktrace.NewTracerProvider(
		// Keep sampling for your backend; record the rest for billing.
		sdktrace.WithSampler(otelbridge.RecordOnlySampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.05)))),
		sdktrace.WithSpanProcessor(otelbridge.NewSpanProcessor(tracker, otelbridge.WithWorkflow("chat-api"))),
	)
	// Shut the provider down first: it flushes the bridge's runs into the
	// tracker, which the bridge does not own.
	defer tracker.Shutdown(context.Background())
	defer tp.Shutdown(context.Background())

	// Each request is a run for the customer your auth found; put it in
	// ctx before otelhttp starts the server span.
	var app http.Handler // your handler, with GenAI instrumentation
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			customer := r.Header.Get("X-Customer") // your authentication here
			next.ServeHTTP(w, r.WithContext(drip.ContextWithCustomer(r.Context(), customer)))
		})
	}
	_ = http.ListenAndServe(":8080", auth(otelhttp.NewHandler(app, "chat", otelhttp.WithTracerProvider(tp))))
}
