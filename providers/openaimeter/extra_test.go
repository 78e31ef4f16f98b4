package openaimeter_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/sashabaranov/go-openai"

	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/providers/openaimeter"
)

func TestTransportStreamToolCalls(t *testing.T) {
	stub := openaitest.New(t, openaitest.WithToolCalls("get_weather", "search"))
	c, rep := meteredRaw(t, stub)
	ctx := context.Background()
	s, err := c.CreateChatCompletionStream(ctx, chatRequest("gpt-4o"))
	if err != nil {
		t.Fatal(err)
	}
	drainRaw(t, s)
	rs, err := c.CreateResponseStream(ctx, openai.CreateResponseRequest{Model: "gpt-4o", Input: "x"})
	if err != nil {
		t.Fatal(err)
	}
	drainEvents(rs)
	for i, u := range rep.All() {
		if u.ToolCalls != 2 || strings.Join(u.ToolNames, ",") != "get_weather,search" {
			t.Errorf("call %d: %d %v", i, u.ToolCalls, u.ToolNames)
		}
		wantTokens(t, u)
	}
	if rep.Len() != 2 {
		t.Fatalf("reported %d", rep.Len())
	}
}

func TestResponseStreamRecvRawAndEarlyClose(t *testing.T) {
	stub := openaitest.New(t)
	c, rep := wrapped(t, stub, openaimeter.WithProvider("azure.ai.openai"))
	ctx := context.Background()
	req := openai.CreateResponseRequest{Model: "gpt-4.1", Input: "Say hello, please", Instructions: "Be brief"}

	s, err := c.CreateResponseStream(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, err := s.RecvRaw()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	u := rep.One(t)
	wantTokens(t, u)
	if u.Provider != "azure.ai.openai" {
		t.Fatalf("provider %q", u.Provider)
	}

	rep.Reset()
	s, err = c.CreateResponseStream(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // created, item added, first delta "Hello"
		if _, err := s.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	u = rep.One(t)
	// "Be brief" + "Say hello, please" = 25 chars → 7; "Hello" → 2.
	if !u.Estimated || u.InputTokens != 7 || u.OutputTokens != 2 || u.ResponseID == "" {
		t.Fatalf("usage = %+v", u)
	}
}
