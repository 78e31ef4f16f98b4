package wire

import "encoding/json"

// WebhookFilters routes a webhook's events: the kinds set are ANDed, the
// values within one kind ORed.
type WebhookFilters struct {
	UsageTypes  []string `json:"usageTypes,omitempty"`
	CustomerIDs []string `json:"customerIds,omitempty"`
	Severities  []string `json:"severities,omitempty"`
}

// WebhookStats counts a webhook's deliveries by outcome.
type WebhookStats struct {
	Total     int `json:"total"`
	Delivered int `json:"delivered"`
	Failed    int `json:"failed"`
	Pending   int `json:"pending"`
}

// Webhook is the webhook resource.
type Webhook struct {
	ID                  string          `json:"id"`
	URL                 string          `json:"url"`
	Events              []string        `json:"events"`
	Description         *string         `json:"description"`
	Filters             *WebhookFilters `json:"filters"`
	IsActive            bool            `json:"isActive"`
	HealthStatus        string          `json:"healthStatus"`
	ConsecutiveFailures int             `json:"consecutiveFailures"`
	LastHealthChange    *string         `json:"lastHealthChange"`
	CreatedAt           string          `json:"createdAt"`
	UpdatedAt           string          `json:"updatedAt"`
	Stats               *WebhookStats   `json:"stats,omitempty"`
}

// CreatedWebhook is the reply of POST /webhooks: the webhook plus its
// signing secret, which no other reply carries.
type CreatedWebhook struct {
	Webhook
	Secret  string `json:"secret"`
	Message string `json:"message"`
}

// CreateWebhookRequest is the body of POST /webhooks.
type CreateWebhookRequest struct {
	URL         string          `json:"url"`
	Events      []string        `json:"events"`
	Description string          `json:"description,omitempty"`
	Filters     *WebhookFilters `json:"filters,omitempty"`
}

// UpdateWebhookRequest is the body of PATCH /webhooks/{id}; absent fields
// are left unchanged.
type UpdateWebhookRequest struct {
	URL         *string  `json:"url,omitempty"`
	Events      []string `json:"events,omitempty"`
	Description *string  `json:"description,omitempty"`
	IsActive    *bool    `json:"isActive,omitempty"`
	// Filters is sent only when Set; a Set with nil Value is "filters":
	// null, which removes every filter.
	Filters OptionalFilters `json:"filters,omitzero"`
}

// OptionalFilters tells an absent "filters" from "filters": null.
type OptionalFilters struct {
	Set   bool `json:"-"`
	Value *WebhookFilters
}

// IsZero reports an absent field, for omitzero.
func (o OptionalFilters) IsZero() bool { return !o.Set }

// MarshalJSON writes the filters, or null.
func (o OptionalFilters) MarshalJSON() ([]byte, error) { return json.Marshal(o.Value) }

// UnmarshalJSON is called for any value present, null included.
func (o *OptionalFilters) UnmarshalJSON(b []byte) error {
	o.Set = true
	o.Value = nil
	if string(b) == "null" {
		return nil
	}
	o.Value = new(WebhookFilters)
	return json.Unmarshal(b, o.Value)
}

// WebhookList is the reply of GET /webhooks.
type WebhookList struct {
	Data  []Webhook `json:"data"`
	Count int       `json:"count"`
}

// WebhookDeleteResult is the reply of DELETE /webhooks/{id}.
type WebhookDeleteResult struct {
	Success bool `json:"success"`
}

// WebhookTestResult is the reply of POST /webhooks/{id}/test.
type WebhookTestResult struct {
	Message      string  `json:"message"`
	DeliveryID   *string `json:"deliveryId"`
	Status       string  `json:"status"`
	ResponseCode *int    `json:"responseCode,omitempty"`
}

// WebhookSecret is the reply of POST /webhooks/{id}/rotate-secret.
type WebhookSecret struct {
	Secret  string `json:"secret"`
	Message string `json:"message"`
}

// WebhookEventBody is the body of a webhook delivery.
type WebhookEventBody struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt string          `json:"createdAt"`
	Data      json.RawMessage `json:"data"`
}

// WebhookUsageRecorded is the data of usage.recorded.
type WebhookUsageRecorded struct {
	UsageEventID string  `json:"usageEventId"`
	CustomerID   string  `json:"customerId"`
	UsageType    string  `json:"usageType"`
	Quantity     float64 `json:"quantity"`
	ChargeID     *string `json:"chargeId"`
	Endpoint     string  `json:"endpoint"`
}

// WebhookBalanceLow is the data of customer.balance.low; amounts are USDC
// decimal strings.
type WebhookBalanceLow struct {
	CustomerID    string `json:"customerId"`
	BalanceUsdc   string `json:"balanceUsdc"`
	AvailableUsdc string `json:"availableUsdc"`
	ThresholdUsdc string `json:"thresholdUsdc"`
}

// WebhookSpendingAlert is the data of customer.spending.warning and
// customer.spending.blocked.
type WebhookSpendingAlert struct {
	CustomerID   string `json:"customerId"`
	CapID        string `json:"capId"`
	CapType      string `json:"capType"`
	Level        string `json:"level"`
	Percentage   int    `json:"percentage"`
	LimitValue   string `json:"limitValue"`
	CurrentUsage string `json:"currentUsage"`
	PeriodStart  string `json:"periodStart"`
}

// WebhookEndpointUnhealthy is the data of webhook.endpoint.unhealthy.
type WebhookEndpointUnhealthy struct {
	WebhookID           string `json:"webhookId"`
	URL                 string `json:"url"`
	HealthStatus        string `json:"healthStatus"`
	ConsecutiveFailures int    `json:"consecutiveFailures"`
}

// WebhookTestData is the data of the webhook.test event.
type WebhookTestData struct {
	WebhookID string `json:"webhookId"`
}
