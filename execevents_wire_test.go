package drip

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/drip-sdk/drip-go/internal/wire"
	"github.com/drip-sdk/drip-go/internal/wiretest"
)

// TestExecutionEventWireMappings is TestWireMappingsHandleEveryField for
// the execution-event shapes (internal/wire/events.go): every reply field
// reaches the public result.
func TestExecutionEventWireMappings(t *testing.T) {
	for _, tc := range []wireCase{
		{name: "ListEvents", method: "GET", path: "/v1/events", reply: &wire.ExecutionEventList{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListEvents(ctx, nil) }},
		{name: "GetEvent", method: "GET", path: "/v1/events/evt_1", reply: &wire.ExecutionEvent{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetEvent(ctx, "evt_1") }},
		{name: "GetEventTrace", method: "GET", path: "/v1/events/evt_1/trace", reply: &wire.EventTrace{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetEventTrace(ctx, "evt_1") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wiretest.Fill(tc.reply)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != tc.method || r.URL.Path != tc.path {
					http.Error(w, `{"code":"NOT_FOUND"}`, http.StatusNotFound)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(tc.reply)
			}))
			defer srv.Close()
			c, err := New(WithAPIKey("sk_test_wire_0000000000"), WithBaseURL(srv.URL+"/v1"), WithoutRetries())
			if err != nil {
				t.Fatal(err)
			}
			res, err := tc.call(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if lost := wiretest.Lost(tc.reply, res, tc.unreadOK...); len(lost) > 0 {
				slices.Sort(lost)
				t.Errorf("reply fields the mapping drops: %v\nresult: %+v", lost, res)
			}
		})
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
