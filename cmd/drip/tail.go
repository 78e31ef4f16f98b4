package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/internal/wire"
	"github.com/drip-sdk/drip-go/runreport"
)

// streamPath is dripd's live stream, under the API's base URL. It is a
// dripd extension: hosted Drip answers 404.
const streamPath = "/dev/stream"

var cmdTail = command{
	name: "tail",
	summary: "follow new runs, events and usage as they are recorded (dripd's live stream; hosted Drip has none); " +
		"Ctrl-C ends it",
	define: func(*flag.FlagSet) runner { return tail },
}

// tailJSON is one line of drip tail --json: the stream's event kind and
// its data exactly as the server sent it.
type tailJSON struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
}

// streamEvent is the data of a run.event message: a timeline event and
// its run.
type streamEvent struct {
	wire.TimelineEvent
	RunID string `json:"runId"`
}

// streamUsage is the data of a usage.recorded message.
type streamUsage struct {
	UsageEventID string  `json:"usageEventId"`
	CustomerID   string  `json:"customerId"`
	UsageType    string  `json:"usageType"`
	Quantity     float64 `json:"quantity"`
	ChargeID     *string `json:"chargeId"`
	CreatedAt    string  `json:"createdAt"`
}

// tail follows GET {base}/dev/stream until ctx ends (Ctrl-C: exit 0) or
// the server closes the stream (an error: nothing more will arrive).
func tail(ctx context.Context, a *app, _ []string) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	key := apiKey()
	url := c.BaseURL() + streamPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return usageErrorf("bad base URL: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("User-Agent", "drip-go/"+drip.Version+" drip-cli/"+drip.Version)
	// The stream stays open for as long as the user watches: only the
	// wait for its headers is bounded.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = a.timeout
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return &drip.Error{Op: "tail", Code: drip.CodeNetwork, Message: scrub(err.Error(), key), Err: err}
	}
	defer resp.Body.Close()
	if err := streamStatus(resp, key); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "drip: following %s (key %s); Ctrl-C to stop\n", url, keyPrefix(key))
	err = readSSE(resp.Body, func(m sseMessage) error { return a.printStreamed(m) })
	if ctx.Err() != nil {
		return nil // Ctrl-C: a clean end
	}
	if err != nil {
		return &drip.Error{Op: "tail", Code: drip.CodeNetwork, Message: "the stream broke: " + scrub(err.Error(), key), Err: err}
	}
	return &drip.Error{Op: "tail", Code: drip.CodeServiceUnavailable, Message: "the server closed the stream"}
}

// streamStatus turns a refused stream into an error: 404 means this server
// has no live stream; anything else but 200 text/event-stream is read as
// a Drip error envelope.
func streamStatus(resp *http.Response, key string) error {
	if resp.StatusCode == http.StatusNotFound {
		return errNoStream
	}
	if resp.StatusCode == http.StatusOK {
		ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if ct == "text/event-stream" {
			return nil
		}
		return &drip.Error{Op: "tail", StatusCode: resp.StatusCode, Code: drip.CodeInvalidResponse,
			Message: fmt.Sprintf("the stream answered %q, not text/event-stream", ct)}
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var env wire.Error
	_ = json.Unmarshal(body, &env)
	msg := env.Message
	if msg == "" {
		msg = env.Error
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &drip.Error{Op: "tail", StatusCode: resp.StatusCode, Code: env.Code, Message: scrub(msg, key),
		RequestID: cmp.Or(env.RequestID, resp.Header.Get("X-Request-Id"))}
}

// scrub takes the key out of a message that may quote a request.
func scrub(s, key string) string {
	if key == "" {
		return s
	}
	return strings.ReplaceAll(s, key, "[REDACTED]")
}

// printStreamed prints one stream message: a JSON line with --json, else
// a line for people. Kinds this version does not know are printed as they
// came, so a newer dripd is still followed.
func (a *app) printStreamed(m sseMessage) error {
	if a.json {
		data := json.RawMessage(m.Data)
		if !json.Valid(data) {
			b, _ := json.Marshal(m.Data)
			data = b
		}
		b, err := json.Marshal(tailJSON{Event: m.Kind, Data: data})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.stdout, "%s\n", b)
		return err
	}
	line, err := describe(m)
	if err != nil {
		line = m.Data // unreadable data: show it rather than stop following
	}
	_, err = fmt.Fprintf(a.stdout, "%s  %-14s  %s\n", time.Now().Format("15:04:05"), m.Kind, line)
	return err
}

// describe is the one-line text of a stream message.
func describe(m sseMessage) (string, error) {
	switch m.Kind {
	case "run.started", "run.ended":
		var r wire.RunDetails
		if err := json.Unmarshal([]byte(m.Data), &r); err != nil {
			return "", err
		}
		parts := []string{r.ID, strconv.Quote(r.WorkflowName), r.Status, "customer " + r.CustomerID}
		if m.Kind == "run.ended" {
			parts = append(parts, runreport.Quantity(float64(r.Totals.EventCount), "events"))
			if r.DurationMs != nil {
				parts = append(parts, runreport.Duration(time.Duration(*r.DurationMs)*time.Millisecond))
			}
			if d, err := drip.ParseDecimal(r.Totals.TotalCostUnits); err == nil && r.Totals.TotalCostUnits != "" {
				parts = append(parts, "cost "+runreport.Money(d))
			}
		}
		return strings.Join(nonEmpty(parts), "  "), nil
	case "run.event":
		var e streamEvent
		if err := json.Unmarshal([]byte(m.Data), &e); err != nil {
			return "", err
		}
		parts := []string{e.RunID, e.EventType}
		if e.Outcome != "" && e.Outcome != "SUCCESS" {
			parts = append(parts, e.Outcome)
		}
		parts = append(parts, runreport.Name(e.Metadata), runreport.Amount(e.Metadata))
		if e.DurationMs != nil {
			parts = append(parts, runreport.Duration(time.Duration(*e.DurationMs)*time.Millisecond))
		}
		if cost, ok := eventCost(e.TimelineEvent); ok {
			parts = append(parts, runreport.Money(cost))
		}
		return strings.Join(nonEmpty(parts), "  "), nil
	case "usage.recorded":
		var u streamUsage
		if err := json.Unmarshal([]byte(m.Data), &u); err != nil {
			return "", err
		}
		parts := []string{"customer " + u.CustomerID, u.UsageType, strconv.FormatFloat(u.Quantity, 'f', -1, 64), u.UsageEventID}
		if u.ChargeID != nil {
			parts = append(parts, "charge "+*u.ChargeID)
		}
		return strings.Join(nonEmpty(parts), "  "), nil
	}
	return m.Data, nil
}

// eventCost is an event's exact cost: costUsdc when the server sent the
// string, else costUnits.
func eventCost(e wire.TimelineEvent) (drip.Decimal, bool) {
	if e.CostUsdc != nil {
		if d, err := drip.ParseDecimal(*e.CostUsdc); err == nil {
			return d, true
		}
	}
	if e.CostUnits != nil {
		return drip.DecimalFromFloat(*e.CostUnits), true
	}
	return drip.Decimal{}, false
}

func nonEmpty(ss []string) []string {
	out := ss[:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
