// Command middleware shows an HTTP API metered by drip-go's net/http
// middleware: every request is one api_calls record for the customer the
// API key belongs to, and each request is a Drip run that the LLM calls made
// by its handler land in, with no Drip code in the handlers.
//
//	go run ./examples/middleware
//
// It runs offline: with DRIP_BASE_URL (and DRIP_API_URL) unset it records
// into a local dripd started in this process, and with OPENAI_BASE_URL unset
// its handler calls a fake OpenAI (package driptest/openaitest). Point
// DRIP_BASE_URL and DRIP_API_KEY at Drip (and OPENAI_BASE_URL,
// OPENAI_API_KEY at an OpenAI-compatible API) to record for real.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/middleware"
	"github.com/drip-sdk/drip-go/runreport"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, w io.Writer) error {
	out := &lockedWriter{w: w} // the server's goroutines print too

	// 1. A Drip client and tracker (a local dripd when offline).
	client, local, stop, err := dripClient(ctx, out)
	if err != nil {
		return err
	}
	defer stop()
	tracker := drip.NewTracker(client)
	defer shutdown(tracker) // on an early return; a second Shutdown is harmless

	// 2. The app's own auth: API keys issued to customers.
	apiKeys := map[string]string{}   // API key → Drip customer id
	customers := map[string]string{} // Drip customer id → name, for printing
	for _, name := range []string{"acme", "globex"} {
		c, err := client.GetOrCreateCustomer(ctx, name, nil)
		if err != nil {
			return err
		}
		apiKeys["key-"+name] = c.ID
		customers[c.ID] = name
	}
	customerOf := func(r *http.Request) (string, error) {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if id, known := apiKeys[key]; ok && known {
			return id, nil
		}
		return "", errors.New("unknown API key")
	}

	// 3. An LLM client, wrapped once for the whole process: inside a
	// request its calls land in the request's run.
	baseURL, openaiKey := os.Getenv("OPENAI_BASE_URL"), os.Getenv("OPENAI_API_KEY")
	if baseURL == "" {
		fake := openaitest.Start()
		defer fake.Close()
		baseURL, openaiKey = fake.BaseURL(), "sk-fake"
		fmt.Fprintln(out, "OPENAI_BASE_URL not set: calling a fake OpenAI at", baseURL)
	}
	cfg := goopenai.DefaultConfig(openaiKey)
	cfg.BaseURL = baseURL
	llm := drip.WrapOpenAI(goopenai.NewClientWithConfig(cfg), "", drip.WithOpenAITracker(tracker))

	// 4. Handlers with no Drip code in them.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("GET /v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "item %s\n", r.PathValue("id"))
	})
	mux.HandleFunc("POST /v1/summarize", func(w http.ResponseWriter, r *http.Request) {
		resp, err := llm.CreateChatCompletion(r.Context(), goopenai.ChatCompletionRequest{
			Model:    "gpt-4o-mini",
			Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "Summarize: the order shipped."}},
		})
		if err != nil {
			http.Error(w, "upstream error", http.StatusBadGateway)
			return
		}
		io.WriteString(w, resp.Choices[0].Message.Content+"\n")
	})

	// 5. The middleware, in one place, around the whole mux.
	metered := middleware.New(middleware.Config{
		Meter:            "api_calls",
		CustomerResolver: customerOf,
		Tracker:          tracker,
		StartRun:         true, // one run per request, named after the route
		SkipPaths:        []string{"/healthz"},
		OnError: func(r *http.Request, err error) {
			fmt.Fprintf(out, "     (drip: %s %s: %v)\n", r.Method, r.URL.Path, err)
		},
	})(mux)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: metered, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close() // on an early return
	base := "http://" + ln.Addr().String()
	fmt.Fprintln(out, "serving on", base)

	// 6. Some traffic, as clients would send it.
	send := func(method, path, key string, headers ...string) {
		req, _ := http.NewRequestWithContext(ctx, method, base+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintln(out, method, path, "error:", err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(out, "%-4s %-15s %-10s %-26s -> %d %s\n", method, path, key, strings.Join(headers, ": "),
			resp.StatusCode, strings.TrimSpace(string(body)))
	}
	send("GET", "/healthz", "")                                       // skipped: not metered
	send("GET", "/v1/items/42", "key-acme")                           // one api_calls for acme
	send("POST", "/v1/summarize", "key-acme")                         // a run with the LLM call in it
	send("GET", "/v1/items/7", "key-globex", "X-Customer-Id", "acme") // the spoofed header is ignored: billed to globex
	send("POST", "/v1/summarize", "key-globex", "Idempotency-Key", "req-1")
	send("POST", "/v1/summarize", "key-globex", "Idempotency-Key", "req-1") // a client retry: billed once
	send("GET", "/v1/items/1", "")                                          // no API key: 400, not served

	// 7. Stop serving, deliver, then show what Drip recorded.
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := shutdown(tracker); err != nil {
		return err
	}
	st := tracker.Stats()
	fmt.Fprintf(out, "tracker: %d delivered (usage records and run events), %d dropped, %d failed\n",
		st.Sent, st.Dropped, st.Failed)
	if local == nil {
		fmt.Fprintln(out, "see the usage and runs in the Drip dashboard")
		return nil
	}
	// Drip's API has no call that lists usage; the local dripd's store does.
	usage, err := local.Store().UsageRecords(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "\nusage (meter api_calls), one record per billed request; the retry with the same Idempotency-Key is not billed again:")
	for _, u := range usage {
		fmt.Fprintf(out, "  %-7s %g on %s  route %v, status %v\n", customers[u.CustomerID], u.Quantity, u.UsageType,
			u.Metadata["route"], u.Metadata["status"])
	}
	fmt.Fprintln(out, "\nruns, one per request served (the retry ran the handler again, so it is a run too):")
	runs, err := local.Store().Runs(ctx)
	if err != nil {
		return err
	}
	for _, r := range runs {
		if err := runreport.Write(ctx, out, client, r.ID, runreport.Options{Label: customers[r.CustomerID]}); err != nil {
			return err
		}
	}
	return nil
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// shutdown shuts the tracker down, giving it 10 seconds to deliver what is
// still queued.
func shutdown(t *drip.Tracker) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return t.Shutdown(ctx)
}

// dripClient returns a client for Drip when DRIP_BASE_URL or DRIP_API_URL
// is set (drip.New reads them and DRIP_API_KEY). Otherwise it starts a
// local dripd with an in-memory store, returned as local to read back what
// was recorded, and a client for it; any well-formed key is accepted there.
// stop shuts down what it started.
func dripClient(ctx context.Context, out io.Writer) (client *drip.Client, local *driptest.Local, stop func(), err error) {
	if os.Getenv("DRIP_BASE_URL") != "" || os.Getenv("DRIP_API_URL") != "" {
		client, err = drip.New()
		if err != nil {
			return nil, nil, nil, err
		}
		fmt.Fprintln(out, "recording into Drip at", client.BaseURL())
		return client, nil, func() {}, nil
	}
	if local, err = driptest.StartLocal(ctx); err != nil {
		return nil, nil, nil, err
	}
	fmt.Fprintln(out, "DRIP_BASE_URL not set: recording into a local dripd at", local.BaseURL())
	return local.Client, local, func() { local.Close() }, nil
}
