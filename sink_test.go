package drip_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// apiSink is a minimal Drip for delivery tests and benchmarks: it answers
// the tracker's five requests after a configurable delay, decodes them with
// encoding/json, dedupes by idempotency key and external run id, and
// records each run's order of arrival, so a test can check that no event
// arrives for a run not started or already ended, and no end before the
// run's last event. With a rate limit it answers 429 (Retry-After: 1) to
// requests over it, as an API enforcing a quota does.
type apiSink struct {
	*httptest.Server
	delay time.Duration
	limit *rate.Limiter
	// noRecord makes the sink an API without POST /runs/record (404).
	noRecord    bool
	recordTries atomic.Int64

	mu         sync.Mutex
	runs       map[string]*sinkRun // by id
	byExt      map[string]string
	keys       map[string]bool
	violations []string

	events, usage, requests, throttled, ended, recorded atomic.Int64
}

type sinkRun struct {
	ended  bool
	events int
}

func newAPISink(tb testing.TB, delay time.Duration, perSecond float64) *apiSink {
	s := &apiSink{delay: delay, runs: map[string]*sinkRun{}, byExt: map[string]string{}, keys: map[string]bool{}}
	if perSecond > 0 {
		s.limit = rate.NewLimiter(rate.Limit(perSecond), int(perSecond/10)+1)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

func (s *apiSink) violate(format string, args ...any) {
	if len(s.violations) < 20 {
		s.violations = append(s.violations, fmt.Sprintf(format, args...))
	}
}

func (s *apiSink) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.limit != nil && !s.limit.Allow() {
		s.throttled.Add(1)
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"error":"rate limited","message":"rate limited","code":"RATE_LIMIT_EXCEEDED"}`)
		return
	}
	raw := make([]byte, max(r.ContentLength, 0))
	if _, err := io.ReadFull(r.Body, raw); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	time.Sleep(s.delay)
	var reply any
	s.mu.Lock()
	switch path := strings.TrimPrefix(r.URL.Path, "/v1"); {
	case r.Method == "POST" && path == "/runs":
		var req wire.StartRunRequest
		json.Unmarshal(raw, &req)
		id := s.byExt[req.ExternalRunID]
		if id == "" {
			id = "run_" + strconv.Itoa(len(s.runs)+1)
			s.byExt[req.ExternalRunID] = id
			s.runs[id] = &sinkRun{}
		}
		reply = wire.StartRunResult{ID: id, Status: "RUNNING"}
	case r.Method == "POST" && path == "/run-events/batch":
		// Only what the checks read is decoded into fields; metadata is
		// validated JSON, kept raw.
		var req struct {
			Events []struct {
				RunID          string          `json:"runId"`
				IdempotencyKey string          `json:"idempotencyKey"`
				Metadata       json.RawMessage `json:"metadata"`
			} `json:"events"`
		}
		json.Unmarshal(raw, &req)
		res := wire.RunEventBatchResult{Success: true}
		for _, e := range req.Events {
			run := s.runs[e.RunID]
			switch {
			case run == nil:
				s.violate("event for run %q, which was never started", e.RunID)
			case run.ended:
				s.violate("event for run %s after its end", e.RunID)
			}
			if s.keys[e.IdempotencyKey] {
				res.Duplicates++
				continue
			}
			s.keys[e.IdempotencyKey] = true
			if run != nil {
				run.events++
			}
			res.Created++
			s.events.Add(1)
		}
		reply = res
	case r.Method == "PATCH" && strings.HasPrefix(path, "/runs/"):
		if run := s.runs[strings.TrimPrefix(path, "/runs/")]; run == nil {
			s.violate("end of run %s, never started", path)
		} else if !run.ended {
			run.ended = true
			s.ended.Add(1)
		}
		reply = wire.EndRunResult{Status: "COMPLETED"}
	case r.Method == "POST" && path == "/runs/record" && s.noRecord:
		s.recordTries.Add(1)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"not found","message":"no route","code":"NOT_FOUND"}`)
		return
	case r.Method == "POST" && path == "/runs/record":
		var req struct {
			ExternalRunID string            `json:"externalRunId"`
			Events        []json.RawMessage `json:"events"`
		}
		json.Unmarshal(raw, &req)
		res := wire.RecordRunResult{}
		if id := s.byExt[req.ExternalRunID]; id != "" {
			res.Run.ID, res.Events.Duplicates = id, len(req.Events)
		} else {
			id = "run_" + strconv.Itoa(len(s.runs)+1)
			s.byExt[req.ExternalRunID] = id
			s.runs[id] = &sinkRun{ended: true, events: len(req.Events)}
			res.Run.ID, res.Events.Created = id, len(req.Events)
			s.events.Add(int64(len(req.Events)))
			s.ended.Add(1)
			s.recorded.Add(1)
		}
		reply = res
	case r.Method == "POST" && strings.HasPrefix(path, "/usage"):
		var req wire.UsageRequest
		json.Unmarshal(raw, &req)
		dup := s.keys[req.IdempotencyKey]
		if !dup {
			s.keys[req.IdempotencyKey] = true
			s.usage.Add(1)
		}
		reply = wire.UsageResult{Success: true, IsDuplicate: dup}
	default:
		s.mu.Unlock()
		http.Error(w, `{"code":"NOT_FOUND"}`, http.StatusNotFound)
		return
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(reply)
}

// check fails tb if any run's order was broken.
func (s *apiSink) check(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.violations) > 0 {
		tb.Fatalf("out of order: %v", s.violations)
	}
}
