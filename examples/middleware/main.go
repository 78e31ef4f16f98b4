// Command middleware shows an HTTP API metered by drip-go's net/http
// middleware: every request is one api_calls record for the customer the
// API key belongs to, and each request is a Drip run that the LLM calls made
// by its handler land in, with no Drip code in the handlers.
//
// It runs offline: with DRIP_BASE_URL unset it starts an in-process dripd,
// and with OPENAI_BASE_URL unset a local OpenAI-compatible stub. Point
// DRIP_BASE_URL and DRIP_API_KEY at Drip (and OPENAI_BASE_URL,
// OPENAI_API_KEY at an OpenAI-compatible API) to record for real.
//
//	go run ./examples/middleware
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
	"time"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/internal/devenv"
	"github.com/drip-sdk/drip-go/middleware"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	// 1. A Drip client and tracker (an embedded dripd when offline).
	env, err := devenv.Start(ctx, os.Stdout)
	if err != nil {
		return err
	}
	defer env.Close()
	client, inst := env.Client, env.Local
	tracker := drip.NewTracker(client)
	defer tracker.Shutdown(context.Background())

	// 2. The app's own auth: API keys issued to customers.
	apiKeys := map[string]string{}
	for _, name := range []string{"acme", "globex"} {
		c, err := client.GetOrCreateCustomer(ctx, name, nil)
		if err != nil {
			return err
		}
		apiKeys["key-"+name] = c.ID
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
		stub := openaitest.Start()
		defer stub.Close()
		baseURL, openaiKey = stub.BaseURL(), "sk-offline"
		fmt.Println("offline: an OpenAI-compatible stub at", baseURL)
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
		OnError:          func(r *http.Request, err error) { log.Printf("drip: %s %s: %v", r.Method, r.URL.Path, err) },
	})(mux)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: metered, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())
	base := "http://" + ln.Addr().String()
	fmt.Println("serving on", base)

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
			fmt.Println(method, path, "error:", err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%-4s %-18s %-10s -> %d %s", method, path, key, resp.StatusCode, body)
		if !strings.HasSuffix(string(body), "\n") {
			fmt.Println()
		}
	}
	send("GET", "/healthz", "")                                       // skipped: not metered
	send("GET", "/v1/items/42", "key-acme")                           // one api_calls for acme
	send("POST", "/v1/summarize", "key-acme")                         // a run with the LLM call in it
	send("GET", "/v1/items/7", "key-globex", "X-Customer-Id", "acme") // the spoofed header is ignored: billed to globex
	send("POST", "/v1/summarize", "key-globex", "Idempotency-Key", "req-1")
	send("POST", "/v1/summarize", "key-globex", "Idempotency-Key", "req-1") // a client retry: billed once
	send("GET", "/v1/items/1", "")                                          // no API key: 400, not served

	// 7. Deliver, then show what Drip recorded.
	if err := tracker.Flush(ctx); err != nil {
		return err
	}
	if inst == nil {
		fmt.Println("see the usage and runs in the Drip dashboard")
		return nil
	}
	names := map[string]string{}
	for k, id := range apiKeys {
		names[id] = strings.TrimPrefix(k, "key-")
	}
	store := inst.Store()
	usage, err := store.UsageRecords(ctx)
	if err != nil {
		return err
	}
	fmt.Println("\nusage:")
	for _, u := range usage {
		fmt.Printf("  %-7s %s × %g  route=%v status=%v\n", names[u.CustomerID], u.UsageType, u.Quantity, u.Metadata["route"], u.Metadata["status"])
	}
	runs, err := store.Runs(ctx)
	if err != nil {
		return err
	}
	fmt.Println("\nruns:")
	for _, r := range runs {
		fmt.Printf("  %-7s %-22s %-9s %d events\n", names[r.CustomerID], r.WorkflowName, r.Status, r.EventCount)
		events, err := store.Events(ctx, r.ID)
		if err != nil {
			return err
		}
		for _, e := range events {
			line := fmt.Sprintf("           %-16s %5g", e.EventType, e.Quantity)
			for _, k := range []string{"model", "inputTokens", "outputTokens", "status"} {
				if v, ok := e.Metadata[k]; ok {
					line += fmt.Sprintf(" %s=%v", k, v)
				}
			}
			fmt.Println(line)
		}
	}
	return nil
}
