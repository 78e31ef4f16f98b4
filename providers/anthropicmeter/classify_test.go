package anthropicmeter

import (
	"net/http"
	"testing"
)

// Each kind of request, as anthropic-sdk-go sends it to Anthropic, and as
// its vertex and bedrock options rewrite it.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		method, url string
		metered     bool
		want        target
	}{
		{"POST", "https://api.anthropic.com/v1/messages", true, target{}},
		{"POST", "https://api.anthropic.com/v1/messages/count_tokens", false, target{}},
		{"POST", "https://api.anthropic.com/v1/messages/batches", false, target{}},
		{"GET", "https://api.anthropic.com/v1/messages", false, target{}},
		// Above the cloud's middleware: Anthropic's path on the cloud's host.
		{"POST", "https://us-east5-aiplatform.googleapis.com/v1/messages", true, target{provider: ProviderVertex}},
		{"POST", "https://aiplatform.googleapis.com/v1/messages", true, target{provider: ProviderVertex}},
		{"POST", "https://bedrock-runtime.us-east-1.amazonaws.com/v1/messages", true, target{provider: ProviderBedrock}},
		// Bedrock's Messages API on Anthropic's own paths (bedrock.NewMantleClient).
		{"POST", "https://bedrock-mantle.us-east-1.api.aws/anthropic/v1/messages", true, target{provider: ProviderBedrock}},
		{"POST", "https://bedrock-mantle.us-east-1.api.aws/anthropic/v1/messages/count_tokens", false, target{}},
		// Below it: the cloud's path.
		{"POST", "https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict",
			true, target{model: "claude-sonnet-4-5@20250929", provider: ProviderVertex}},
		{"POST", "https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/anthropic/models/claude-haiku-4-5@20251001:streamRawPredict",
			true, target{model: "claude-haiku-4-5@20251001", provider: ProviderVertex}},
		{"POST", "https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/anthropic/models/count-tokens:rawPredict", false, target{}},
		{"POST", "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-sonnet-4-5-20250929-v1:0/invoke",
			true, target{model: "anthropic.claude-sonnet-4-5-20250929-v1:0", provider: ProviderBedrock}},
		{"POST", "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-haiku-4-5-20251001-v1:0/invoke-with-response-stream",
			true, target{model: "us.anthropic.claude-haiku-4-5-20251001-v1:0", provider: ProviderBedrock}},
		// An inference profile's ARN holds a '/'.
		{"POST", "https://bedrock-runtime.us-east-1.amazonaws.com/model/arn:aws:bedrock:us-east-1:123456789012:inference-profile%2Fus.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke",
			true, target{model: "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0", provider: ProviderBedrock}},
		{"POST", "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-sonnet-4-5-20250929-v1:0/converse", false, target{}},
	} {
		req, err := http.NewRequest(tc.method, tc.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := classify(req); ok != tc.metered || got != tc.want {
			t.Errorf("%s %s: %+v %v, want %+v %v", tc.method, tc.url, got, ok, tc.want, tc.metered)
		}
	}
}
