package openaitest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/drip-sdk/drip-go/driptest/openaitest"
)

func post(t *testing.T, s *openaitest.Server, path, body string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(s.BaseURL()+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !strings.Contains(body, "cut-") {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestChat(t *testing.T) {
	s := openaitest.New(t, openaitest.WithUsage(openaitest.Usage{Prompt: 5, Completion: 4, Cached: 1, Reasoning: 1}))
	_, body := post(t, s, "/chat/completions", `{"model":"gpt-4o"}`)
	var r struct {
		Model string `json:"model"`
		Usage struct {
			PromptTokens int `json:"prompt_tokens"`
			TotalTokens  int `json:"total_tokens"`
			Details      struct {
				Cached int `json:"cached_tokens"`
			} `json:"prompt_tokens_details"`
		} `json:"usage"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if r.Model != "gpt-4o"+openaitest.DefaultModelSuffix || r.Usage.PromptTokens != 5 || r.Usage.TotalTokens != 9 || r.Usage.Details.Cached != 1 {
		t.Fatalf("body = %s", body)
	}
	if s.Requests("/chat/completions") != 1 || s.Total() != 1 || !strings.Contains(string(s.LastBody("/chat/completions")), "gpt-4o") {
		t.Fatal("counters")
	}
}

func TestStreamUsageChunkOnlyWhenAsked(t *testing.T) {
	s := openaitest.New(t)
	_, without := post(t, s, "/chat/completions", `{"model":"m","stream":true}`)
	_, with := post(t, s, "/chat/completions", `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`)
	if strings.Contains(without, `"choices":[]`) || !strings.Contains(with, `"choices":[],"created"`) && !strings.Contains(with, `"choices":[]`) {
		t.Fatalf("without:\n%s\nwith:\n%s", without, with)
	}
	if !strings.HasSuffix(with, "data: [DONE]\n\n") {
		t.Fatal("no [DONE]")
	}
}

func TestErrorAndCutModes(t *testing.T) {
	s := openaitest.New(t)
	resp, body := post(t, s, "/chat/completions", `{"model":"error-429"}`)
	if resp.StatusCode != 429 || !strings.Contains(body, `"rate_limit_exceeded"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	resp, _ = post(t, s, "/chat/completions", `{"model":"error-html-502"}`)
	if resp.StatusCode != 502 || resp.Header.Get("Content-Type") != "text/html" {
		t.Fatalf("%d", resp.StatusCode)
	}
	_, body = post(t, s, "/chat/completions", `{"model":"cut-2","stream":true}`)
	if strings.Count(body, "data: ") != 2 || strings.Contains(body, "[DONE]") {
		t.Fatalf("cut stream: %q", body)
	}
}

func TestRunLifecycle(t *testing.T) {
	s := openaitest.New(t, openaitest.WithRunPolls(2))
	_, body := post(t, s, "/threads/runs", `{"assistant_id":"a","model":"gpt-4o"}`)
	var run struct {
		ID, ThreadID, Status string
	}
	dec := func(b string) {
		var raw struct {
			ID       string `json:"id"`
			ThreadID string `json:"thread_id"`
			Status   string `json:"status"`
		}
		if err := json.Unmarshal([]byte(b), &raw); err != nil {
			t.Fatal(err)
		}
		run.ID, run.ThreadID, run.Status = raw.ID, raw.ThreadID, raw.Status
	}
	dec(body)
	var statuses []string
	for range 3 {
		resp, err := http.Get(s.BaseURL() + "/threads/" + run.ThreadID + "/runs/" + run.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		dec(string(b))
		statuses = append(statuses, run.Status)
	}
	if strings.Join(statuses, ",") != "in_progress,completed,completed" {
		t.Fatalf("statuses %v", statuses)
	}
}

func TestScript(t *testing.T) {
	s := openaitest.New(t, openaitest.WithScript("one", "two"))
	for _, want := range []string{"one", "two", "two"} {
		_, body := post(t, s, "/chat/completions", `{"model":"gpt-4o"}`)
		var r struct {
			Choices []struct {
				Message struct{ Content string } `json:"message"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(body), &r); err != nil || len(r.Choices) != 1 || r.Choices[0].Message.Content != want {
			t.Fatalf("got %s (%v), want %q", body, err, want)
		}
	}
	_, body := post(t, s, "/chat/completions", `{"model":"gpt-4o","stream":true}`)
	if !strings.Contains(body, `"content":"two"`) {
		t.Fatalf("stream: %s", body)
	}
}

func TestStart(t *testing.T) {
	s := openaitest.Start()
	defer s.Close()
	if resp, _ := post(t, s, "/chat/completions", `{"model":"gpt-4o"}`); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
