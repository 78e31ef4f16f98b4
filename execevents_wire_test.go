package drip

import (
	"context"
	"testing"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// TestExecutionEventWireMappings is TestWireMappingsHandleEveryField for
// the execution-event calls: every reply field reaches the public result.
func TestExecutionEventWireMappings(t *testing.T) {
	runWireCases(t, eventWireCases())
}

// eventWireCases are the cases of the execution-event calls
// (internal/wire/events.go).
func eventWireCases() []wireCase {
	return []wireCase{
		{name: "ListEvents", method: "GET", path: "/v1/events", reply: &wire.ExecutionEventList{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListEvents(ctx, nil) }},
		{name: "GetEvent", method: "GET", path: "/v1/events/evt_1", reply: &wire.ExecutionEvent{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetEvent(ctx, "evt_1") }},
		{name: "GetEventTrace", method: "GET", path: "/v1/events/evt_1/trace", reply: &wire.EventTrace{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetEventTrace(ctx, "evt_1") }},
	}
}

// TestListEventsQuery checks that every filter reaches the query string
// under the name the API reads.
func TestListEventsQuery(t *testing.T) {
	path, err := listEventsPath("ListEvents", &ListEventsParams{CustomerID: "cust 1", RunID: "run_2", Type: "tool.call",
		Outcome: "FAILED", Limit: 7, Offset: 14})
	if err != nil {
		t.Fatal(err)
	}
	const want = "/events?customerId=cust+1&eventType=tool.call&limit=7&offset=14&outcome=FAILED&runId=run_2"
	if path != want {
		t.Fatalf("path %q; want %q", path, want)
	}
}
