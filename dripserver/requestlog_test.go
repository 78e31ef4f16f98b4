package dripserver_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Every request is logged at info level with its key's prefix, refused
// ones too, and the key itself never.
func TestRequestLogAtInfo(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	const key = "sk_test_secret_key_123456"
	inst, err := dripserver.Start(context.Background(), "127.0.0.1:0", nil,
		dripserver.WithLogger(log), dripserver.WithAPIKeys(key))
	if err != nil {
		t.Fatal(err)
	}
	newAPI(t, inst.BaseURL(), key).ok(201, "POST", "/customers", wire.CreateCustomerRequest{ExternalCustomerID: "l"}, nil)
	newAPI(t, inst.BaseURL(), "sk_test_wrong_key_999999").fail(401, dripserver.CodeUnauthorized, "GET", "/customers", nil)
	if err := inst.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`level=INFO msg=request method=POST path=/v1/customers status=201 duration=`,
		`key=sk_test_se…`,
		`method=GET path=/v1/customers status=401`,
		`key=sk_test_wr…`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, key) || strings.Contains(out, "sk_test_wrong_key_999999") {
		t.Errorf("a key was logged:\n%s", out)
	}
}

func TestKeyPrefix(t *testing.T) {
	for key, want := range map[string]string{"": "", "sk_test_0123456789": "sk_test_0…", "sk_abcdefg": "sk_ab…"} {
		if got := dripserver.KeyPrefix(key); got != want {
			t.Errorf("KeyPrefix(%q) = %q, want %q", key, got, want)
		}
	}
}
