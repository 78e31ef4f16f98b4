package openaigo_test

import (
	"context"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
)

const suffix = openaitest.DefaultModelSuffix

// Every usage-bearing endpoint, through both routes: the recorded counts are
// the stub's, token for token, and the ones the SDK itself read.

func TestChat(t *testing.T) {
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(r.opt(e))
			resp, evs := replyInRun(t, e, func(ctx context.Context) (*openai.ChatCompletion, error) {
				return c.Chat.Completions.New(ctx, chatParams("gpt-4o-mini"))
			})
			if resp.Choices[0].Message.Content != e.stub.Text() || !resp.JSON.Usage.Valid() {
				t.Fatalf("reply %s", resp.RawJSON())
			}
			u := resp.Usage
			wantEvent(t, one(t, evs), "chat", "gpt-4o-mini"+suffix, stubTokens, tokens{u.PromptTokens, u.CompletionTokens,
				u.PromptTokensDetails.CachedTokens, u.CompletionTokensDetails.ReasoningTokens, u.PromptTokensDetails.CacheWriteTokens})
		})
	}
}

// drainChat reads a chat stream and returns its chunks.
func drainChat(t *testing.T, s interface {
	Next() bool
	Current() openai.ChatCompletionChunk
	Err() error
	Close() error
}) []openai.ChatCompletionChunk {
	t.Helper()
	defer s.Close()
	var got []openai.ChatCompletionChunk
	for s.Next() {
		got = append(got, s.Current())
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func chunkText(chunks []openai.ChatCompletionChunk) string {
	var b strings.Builder
	for _, ch := range chunks {
		for _, c := range ch.Choices {
			b.WriteString(c.Delta.Content)
		}
	}
	return b.String()
}

func TestChatStream(t *testing.T) {
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			// What the caller sees without the meter.
			raw := e.client()
			want := drainChat(t, raw.Chat.Completions.NewStreaming(t.Context(), chatParams("gpt-4o-mini")))

			c := e.client(r.opt(e))
			var got []openai.ChatCompletionChunk
			evs := e.inRun(t, func(ctx context.Context) {
				got = drainChat(t, c.Chat.Completions.NewStreaming(ctx, chatParams("gpt-4o-mini")))
			})
			if !strings.Contains(string(e.stub.LastBody("/chat/completions")), `"include_usage":true`) {
				t.Fatal("the meter did not ask for the stream's usage")
			}
			// The caller did not ask for usage: the stream reads as it would
			// have, with no usage-only chunk.
			if len(got) != len(want) || chunkText(got) != chunkText(want) || chunkText(got) != e.stub.Text() {
				t.Fatalf("metered stream: %d chunks %q, unmetered: %d chunks %q", len(got), chunkText(got), len(want), chunkText(want))
			}
			for i, ch := range got {
				if len(ch.Choices) == 0 || ch.Usage.TotalTokens != 0 {
					t.Fatalf("chunk %d is a usage chunk the caller did not ask for: %s", i, ch.RawJSON())
				}
			}
			ev := one(t, evs)
			wantEvent(t, ev, "chat", "gpt-4o-mini"+suffix, stubTokens, stubTokens)
			if ev.Metadata["streamed"] != true {
				t.Error("not marked streamed")
			}
		})
	}
}

func TestChatStreamCallerAskedForUsage(t *testing.T) {
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(r.opt(e))
			p := chatParams("gpt-4o")
			p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
			var got []openai.ChatCompletionChunk
			evs := e.inRun(t, func(ctx context.Context) { got = drainChat(t, c.Chat.Completions.NewStreaming(ctx, p)) })
			last := got[len(got)-1]
			if len(last.Choices) != 0 || !last.JSON.Usage.Valid() {
				t.Fatalf("the usage chunk the caller asked for is missing: %s", last.RawJSON())
			}
			u := last.Usage
			wantEvent(t, one(t, evs), "chat", "gpt-4o"+suffix, stubTokens, tokens{u.PromptTokens, u.CompletionTokens,
				u.PromptTokensDetails.CachedTokens, u.CompletionTokensDetails.ReasoningTokens, u.PromptTokensDetails.CacheWriteTokens})
		})
	}
}

func responseParams(model string) responses.ResponseNewParams {
	return responses.ResponseNewParams{Model: model, Input: responses.ResponseNewParamsInputUnion{OfString: openai.String(prompt)}}
}

func responseTokens(u responses.ResponseUsage) tokens {
	return tokens{u.InputTokens, u.OutputTokens, u.InputTokensDetails.CachedTokens, u.OutputTokensDetails.ReasoningTokens,
		u.InputTokensDetails.CacheWriteTokens}
}

func TestResponses(t *testing.T) {
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(r.opt(e))
			resp, evs := replyInRun(t, e, func(ctx context.Context) (*responses.Response, error) {
				return c.Responses.New(ctx, responseParams("gpt-4.1"))
			})
			if resp.OutputText() != e.stub.Text() || !resp.JSON.Usage.Valid() {
				t.Fatalf("reply %s", resp.RawJSON())
			}
			wantEvent(t, one(t, evs), "responses", "gpt-4.1"+suffix, stubTokens, responseTokens(resp.Usage))
		})
	}
}

func TestResponsesStream(t *testing.T) {
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(r.opt(e))
			var sdk tokens
			var text strings.Builder
			evs := e.inRun(t, func(ctx context.Context) {
				s := c.Responses.NewStreaming(ctx, responseParams("gpt-4.1"))
				defer s.Close()
				for s.Next() {
					ev := s.Current()
					switch ev.Type {
					case "response.output_text.delta":
						text.WriteString(ev.Delta)
					case "response.completed":
						if !ev.Response.JSON.Usage.Valid() {
							t.Fatalf("completed event without usage: %s", ev.RawJSON())
						}
						sdk = responseTokens(ev.Response.Usage)
					}
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
			})
			if text.String() != e.stub.Text() {
				t.Fatalf("streamed text %q", text.String())
			}
			wantEvent(t, one(t, evs), "responses", "gpt-4.1"+suffix, stubTokens, sdk)
		})
	}
}

func TestEmbeddings(t *testing.T) {
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(r.opt(e))
			resp, evs := replyInRun(t, e, func(ctx context.Context) (*openai.CreateEmbeddingResponse, error) {
				return c.Embeddings.New(ctx, openai.EmbeddingNewParams{
					Model: openai.EmbeddingModelTextEmbedding3Small,
					Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}},
				})
			})
			if len(resp.Data) != 2 || !resp.JSON.Usage.Valid() {
				t.Fatalf("reply %s", resp.RawJSON())
			}
			wantEvent(t, one(t, evs), "embeddings", "text-embedding-3-small"+suffix, tokens{in: stubTokens.in},
				tokens{in: resp.Usage.PromptTokens, out: resp.Usage.TotalTokens - resp.Usage.PromptTokens})
		})
	}
}

func completionParams() openai.CompletionNewParams {
	return openai.CompletionNewParams{
		Model:  openai.CompletionNewParamsModelGPT3_5TurboInstruct,
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String(prompt)},
	}
}

// The legacy completions reply carries no token details.
var completionTokens = tokens{in: stubTokens.in, out: stubTokens.out}

func TestCompletions(t *testing.T) {
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(r.opt(e))
			resp, evs := replyInRun(t, e, func(ctx context.Context) (*openai.Completion, error) {
				return c.Completions.New(ctx, completionParams())
			})
			if resp.Choices[0].Text != e.stub.Text() || !resp.JSON.Usage.Valid() {
				t.Fatalf("reply %s", resp.RawJSON())
			}
			wantEvent(t, one(t, evs), "text_completion", "gpt-3.5-turbo-instruct"+suffix, completionTokens,
				tokens{in: resp.Usage.PromptTokens, out: resp.Usage.CompletionTokens})
		})
	}
}

func TestCompletionsStream(t *testing.T) {
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(r.opt(e))
			var text strings.Builder
			evs := e.inRun(t, func(ctx context.Context) {
				s := c.Completions.NewStreaming(ctx, completionParams())
				defer s.Close()
				for s.Next() {
					ch := s.Current()
					if len(ch.Choices) == 0 {
						t.Fatalf("a usage chunk the caller did not ask for: %s", ch.RawJSON())
					}
					text.WriteString(ch.Choices[0].Text)
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
			})
			if !strings.Contains(string(e.stub.LastBody("/completions")), `"include_usage":true`) {
				t.Fatal("the meter did not ask for the stream's usage")
			}
			if text.String() != e.stub.Text() {
				t.Fatalf("streamed text %q", text.String())
			}
			wantEvent(t, one(t, evs), "text_completion", "gpt-3.5-turbo-instruct"+suffix, completionTokens, completionTokens)
		})
	}
}

// Outside a run, a call is usage for the customer on the llm_tokens meter.
func TestOutsideARun(t *testing.T) {
	e := newEnv(t)
	c := e.client(routes[0].opt(e))
	if _, err := c.Chat.Completions.New(t.Context(), chatParams("gpt-4o-mini")); err != nil {
		t.Fatal(err)
	}
	e.flush(t)
	recs := e.drip.UsageRecords()
	if len(recs) != 1 || recs[0].CustomerID != e.cust || recs[0].UsageType != drip.DefaultLLMMeter ||
		recs[0].Quantity != float64(openaitest.DefaultUsage.Total()) || recs[0].Metadata["model"] != "gpt-4o-mini"+suffix {
		t.Fatalf("usage records: %+v", recs)
	}
	if len(e.drip.Runs()) != 0 {
		t.Fatal("a run was opened")
	}
}

// A background response answers queued, without usage; its usage is
// recorded once, from the first retrieval that finds it finished.
func TestBackgroundResponse(t *testing.T) {
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(r.opt(e))
			var got *responses.Response
			evs := e.inRun(t, func(ctx context.Context) {
				p := responseParams("gpt-4.1")
				p.Background = openai.Bool(true)
				started, err := c.Responses.New(ctx, p)
				if err != nil || started.Status != "queued" {
					t.Fatalf("started %v, %v", started, err)
				}
				for range 2 { // polled twice: recorded once
					if got, err = c.Responses.Get(ctx, started.ID, responses.ResponseGetParams{}); err != nil {
						t.Fatal(err)
					}
				}
				// A response this client did not start is not its to record.
				if _, err := c.Responses.Get(ctx, "resp_elsewhere", responses.ResponseGetParams{}); err != nil {
					t.Fatal(err)
				}
			})
			if got.Status != "completed" {
				t.Fatalf("status %s", got.Status)
			}
			wantEvent(t, one(t, evs), "responses", "gpt-4.1"+suffix, stubTokens, responseTokens(got.Usage))
		})
	}
}

// The Decisions API answers questions about an input, billed in tokens
// like a Responses call.
func TestDecisions(t *testing.T) {
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(r.opt(e))
			resp, evs := replyInRun(t, e, func(ctx context.Context) (*openai.Decision, error) {
				return c.Decisions.New(ctx, openai.DecisionNewParams{
					Model: "gpt-6-luna",
					Input: openai.DecisionNewParamsInputUnion{OfString: openai.String(prompt)},
					Questions: []openai.DecisionNewParamsQuestionUnion{{OfPredicate: &openai.DecisionNewParamsQuestionPredicate{
						Instructions: openai.DecisionNewParamsQuestionPredicateInstructionsUnion{OfString: openai.String("Is it a greeting?")},
					}}},
				})
			})
			u := resp.Usage
			if len(resp.Answers) != 1 || !resp.JSON.Usage.Valid() {
				t.Fatalf("reply %s", resp.RawJSON())
			}
			wantEvent(t, one(t, evs), "decision", "gpt-6-luna"+suffix, stubTokens, tokens{u.InputTokens, u.OutputTokens,
				u.InputTokensDetails.CachedTokens, u.OutputTokensDetails.ReasoningTokens, u.InputTokensDetails.CacheWriteTokens})
		})
	}
}
