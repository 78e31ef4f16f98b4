package openaimeter

import (
	"strings"
)

// ProviderAzureOpenAI is the Usage.Provider reported for Azure OpenAI calls
// (gen_ai.provider.name "azure.ai.openai") unless WithProvider names one.
const ProviderAzureOpenAI = "azure.ai.openai"

// Azure OpenAI addresses a model through a deployment the customer named:
// /openai/deployments/{deployment}/chat/completions?api-version=…, and the
// same for completions, embeddings and images. The request body may name
// the deployment as its model (openai-go's azure package does), the model
// itself (go-openai's Azure config does), or nothing. The reply names the
// model that answered.

// azureDeployment returns the deployment an Azure OpenAI path names ("" for
// any other path).
func azureDeployment(path string) string {
	_, rest, ok := strings.Cut(path, "/openai/deployments/")
	if !ok {
		return ""
	}
	d, _, _ := strings.Cut(rest, "/")
	return d
}

// isAzureHost reports an Azure OpenAI resource host, for the routes Azure
// serves outside a deployment (/openai/v1/…, /openai/responses).
func isAzureHost(host string) bool {
	host, _, _ = strings.Cut(host, ":")
	return strings.HasSuffix(host, ".openai.azure.com") || strings.HasSuffix(host, ".cognitiveservices.azure.com")
}

// requestModel is the model a request asks for: the body's model, else
// the deployment its path names, each mapped through WithDeployments.
func (m *meter) requestModel(bodyModel, deployment string) string {
	if bodyModel == "" {
		bodyModel = deployment
	}
	return m.model(bodyModel)
}

// model maps a deployment name to its model (WithDeployments); any other
// name is returned as it is.
func (m *meter) model(name string) string {
	if mapped, ok := m.deployments[name]; ok && name != "" {
		return mapped
	}
	return name
}
