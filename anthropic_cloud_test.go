package drip_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/bedrock"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/vertex"
	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest/anthropictest"
	"github.com/drip-sdk/drip-go/providers/anthropicmeter"
)

// Claude through Google Vertex AI and Amazon Bedrock: anthropic-sdk-go's
// vertex and bedrock options rewrite each call for the cloud (the model
// into the path; a Bedrock stream in AWS's event-stream framing, turned
// into SSE above the cloud's middleware). The stub answers both clouds'
// wire; the options are the SDK's own, with test credentials.

type cloud struct {
	name     string
	provider string // what a meter below the cloud's middleware records
	model    string // as the cloud names it
	option   func(t *testing.T) option.RequestOption
}

var clouds = []cloud{
	{"vertex", anthropicmeter.ProviderVertex, "claude-sonnet-4-5@20250929", func(t *testing.T) option.RequestOption {
		creds := &google.Credentials{ProjectID: "drip-test",
			TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "ya29.test"})}
		return vertex.WithCredentials(t.Context(), "us-east5", "drip-test", creds)
	}},
	{"bedrock", anthropicmeter.ProviderBedrock, "us.anthropic.claude-sonnet-4-5-20250929-v1:0", func(t *testing.T) option.RequestOption {
		t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "") // SigV4 with the config's credentials
		return bedrock.WithConfig(aws.Config{Region: "us-east-1",
			Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "test"}, nil
			})})
	}},
}

// cloudRoute is where the meter sits against the cloud's middleware.
type cloudRoute struct {
	name string
	// below says the meter sees the cloud's call, not Anthropic's.
	below   bool
	options func(e *anthropicEnv, cloudOpt option.RequestOption) []option.RequestOption
}

var cloudRoutes = []cloudRoute{
	// The HTTP client given before the cloud's option: the SDK keeps it
	// (Vertex adds its OAuth transport on top).
	{"http-client", true, func(e *anthropicEnv, c option.RequestOption) []option.RequestOption {
		return []option.RequestOption{option.WithHTTPClient(e.httpClient()), c}
	}},
	// The middleware before the cloud's option: it sees Anthropic's call.
	{"middleware-first", false, func(e *anthropicEnv, c option.RequestOption) []option.RequestOption {
		return []option.RequestOption{option.WithMiddleware(e.middleware()), c}
	}},
	// The middleware after it: it sees the cloud's call.
	{"middleware-last", true, func(e *anthropicEnv, c option.RequestOption) []option.RequestOption {
		return []option.RequestOption{c, option.WithMiddleware(e.middleware())}
	}},
	// Two meters, one on each side of the cloud's middleware: counted once
	// (the ctx mark passes through the cloud's middleware).
	{"both", false, func(e *anthropicEnv, c option.RequestOption) []option.RequestOption {
		return []option.RequestOption{option.WithMiddleware(e.middleware()), option.WithHTTPClient(e.httpClient()), c}
	}},
}

func (e *anthropicEnv) httpClient() *http.Client {
	return drip.AnthropicHTTPClient(e.cust, drip.WithAnthropicTracker(e.tracker))
}

func (e *anthropicEnv) middleware() option.Middleware {
	return drip.AnthropicMiddleware(e.cust, drip.WithAnthropicTracker(e.tracker))
}

func TestAnthropicThroughVertexAndBedrock(t *testing.T) {
	for _, cl := range clouds {
		for _, via := range cloudRoutes {
			t.Run(cl.name+"/"+via.name, func(t *testing.T) {
				env := newAnthropicEnv(t, nil, anthropictest.WithUsage(anthCache), anthropictest.WithToolUse("get_weather"))
				opts := append(via.options(env, cl.option(t)), option.WithBaseURL(env.stub.URL()), option.WithMaxRetries(0))
				client := anthropic.NewClient(opts...)
				evs := env.inRun(t, func(ctx context.Context) {
					if _, err := client.Messages.New(ctx, anthParams(cl.model)); err != nil {
						t.Fatal(err)
					}
					stream := client.Messages.NewStreaming(ctx, anthParams(cl.model))
					text := ""
					for stream.Next() {
						if ev := stream.Current(); ev.Type == "content_block_delta" {
							text += ev.Delta.Text
						}
					}
					if err := stream.Err(); err != nil {
						t.Fatal(err)
					}
					stream.Close()
					if text != env.stub.Text() {
						t.Fatalf("the caller read %q, want %q", text, env.stub.Text())
					}
				})
				if len(evs) != 2 {
					t.Fatalf("%d events, want 2: %+v", len(evs), evs)
				}
				provider := "anthropic"
				if via.below {
					provider = cl.provider
				}
				u := anthCache
				for i, e := range evs {
					md := e.Metadata
					if e.EventType != drip.EventLLMCompletion || e.Quantity != float64(u.Total()) ||
						md["model"] != cl.model || md["provider"] != provider ||
						md["inputTokens"] != float64(u.Prompt()) || md["outputTokens"] != float64(u.Output) ||
						md["cachedInputTokens"] != float64(u.CacheRead) || md["cacheCreationInputTokens"] != float64(u.CacheWrite) ||
						md["cacheCreation1hInputTokens"] != float64(u.CacheWrite1h) || md["webSearches"] != float64(u.WebSearches) ||
						md["toolNames"] != "get_weather" {
						t.Errorf("event %d: %+v", i, e)
					}
					// The clouds' model names are priced as Anthropic's.
					if e.CostUnits == nil || *e.CostUnits <= 0 {
						t.Errorf("event %d has no cost: %+v", i, e)
					}
				}
				if evs[1].Metadata["streamed"] != true {
					t.Errorf("stream event: %+v", evs[1].Metadata)
				}
			})
		}
	}
}

// A failed call through a cloud is an llm.error with the cloud's error
// type, never its message; Vertex's count-tokens is not a model call.
func TestAnthropicCloudErrorsAndCountTokens(t *testing.T) {
	for _, cl := range clouds {
		t.Run(cl.name, func(t *testing.T) {
			env := newAnthropicEnv(t, nil)
			client := anthropic.NewClient(option.WithHTTPClient(env.httpClient()), cl.option(t),
				option.WithBaseURL(env.stub.URL()), option.WithMaxRetries(0))
			evs := env.inRun(t, func(ctx context.Context) {
				if _, err := client.Messages.New(ctx, anthParams("error-429")); err == nil {
					t.Fatal("no error")
				}
				stream := client.Messages.NewStreaming(ctx, anthParams("stream-error"))
				for stream.Next() {
				}
				if stream.Err() == nil {
					t.Fatal("no stream error")
				}
				stream.Close()
				if cl.name == "vertex" {
					countTokens(t, ctx, client, cl.model)
				}
			})
			if len(evs) != 2 {
				t.Fatalf("%d events, want 2 errors: %+v", len(evs), evs)
			}
			wantType := map[string]string{"vertex": "overloaded_error", "bedrock": "modelStreamErrorException"}[cl.name]
			for i, want := range []struct {
				status any
				typ    string
			}{{float64(429), "rate_limit_error"}, {nil, wantType}} {
				e := evs[i]
				if e.EventType != drip.EventLLMError || e.Metadata["errorType"] != want.typ || e.Metadata["httpStatus"] != want.status ||
					e.Metadata["provider"] != cl.provider {
					t.Errorf("event %d: %+v", i, e)
				}
			}
		})
	}
}

// Bedrock's Messages API on Anthropic's own paths (bedrock.NewMantleClient)
// is metered by the middleware given among its options, once per call.
func TestAnthropicBedrockMantle(t *testing.T) {
	env := newAnthropicEnv(t, nil, anthropictest.WithUsage(anthCache))
	mantle, err := bedrock.NewMantleClient(t.Context(), bedrock.MantleClientConfig{APIKey: "mantle-test",
		AWSRegion: "us-east-1", BaseURL: env.stub.URL()},
		option.WithMiddleware(env.middleware()), option.WithHTTPClient(env.httpClient()), option.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	evs := env.inRun(t, func(ctx context.Context) {
		messageAndStreamOf(t, ctx, mantle.Messages, "anthropic.claude-haiku-4-5", "anthropic.claude-haiku-4-5")
	})
	wantCompletions(t, evs, 2)
	for i, e := range evs {
		if e.CostUnits == nil {
			t.Errorf("event %d has no cost: %+v", i, e)
		}
	}
}
