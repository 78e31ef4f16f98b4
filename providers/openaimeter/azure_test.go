package openaimeter_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/providers"
	"github.com/drip-sdk/drip-go/providers/openaimeter"
)

// A hand-written call to an Azure deployment whose body names no model: the
// deployment in the path is the request model, mapped by WithDeployments.
func TestAzureDeploymentPath(t *testing.T) {
	for _, tc := range []struct {
		name        string
		deployments map[string]string
		provider    []openaimeter.Option
		wantModel   string
		wantProv    string
	}{
		{"unmapped", nil, nil, "prod-chat", openaimeter.ProviderAzureOpenAI},
		{"mapped", map[string]string{"prod-chat": "gpt-4o"}, nil, "gpt-4o", openaimeter.ProviderAzureOpenAI},
		{"named provider", nil, []openaimeter.Option{openaimeter.WithProvider("azure-eu")}, "prod-chat", "azure-eu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stub := openaitest.New(t)
			rep := &capture{}
			opts := append([]openaimeter.Option{openaimeter.WithDeployments(tc.deployments)}, tc.provider...)
			c := openaimeter.NewHTTPClient(nil, rep, opts...)
			resp, err := c.Post(stub.URL()+"/openai/deployments/prod-chat/chat/completions?api-version=2024-10-21",
				"application/json", strings.NewReader(`{"messages":[{"role":"user","content":"hi"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			u := rep.One(t)
			wantTokens(t, u)
			// The stub answers an unknown deployment with its name as the model.
			if u.RequestModel != tc.wantModel || u.Model != tc.wantModel || u.Provider != tc.wantProv || u.Operation != providers.OpChat {
				t.Fatalf("usage = %+v", u)
			}
		})
	}
}

// The middleware meters the call and marks the ctx it passes on, so a meter
// below it skips the call.
func TestMiddlewareMarksMetered(t *testing.T) {
	stub := openaitest.New(t)
	rep, below := &capture{}, &capture{}
	mw := openaimeter.NewMiddleware(rep)
	inner := openaimeter.NewHTTPClient(nil, below)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, stub.BaseURL()+"/embeddings",
		strings.NewReader(`{"model":"text-embedding-3-small","input":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := mw(req, func(r *http.Request) (*http.Response, error) {
		if !providers.IsMetered(r.Context()) {
			t.Error("the request passed on is not marked metered")
		}
		return inner.Do(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if u := rep.One(t); u.InputTokens != int64(openaitest.DefaultUsage.Prompt) || u.Operation != providers.OpEmbeddings {
		t.Fatalf("usage = %+v", u)
	}
	if below.Len() != 0 {
		t.Fatalf("the meter below counted the call again: %+v", below.All())
	}
}
