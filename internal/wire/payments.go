package wire

import "encoding/json"

// Checkout, withdrawal and portal-session shapes. Checkout requests and
// every withdrawal shape are snake_case on the wire, unlike the rest of the
// API; portal sessions are camelCase. Withdrawal amounts are USDC decimal
// strings; the checkout amount is integer US cents.

// CheckoutRequest is the body of POST /checkout.
type CheckoutRequest struct {
	Amount             int64          `json:"amount"` // US cents, 500–1000000
	ReturnURL          string         `json:"return_url"`
	CustomerID         string         `json:"customer_id,omitempty"`
	ExternalCustomerID string         `json:"external_customer_id,omitempty"`
	CancelURL          string         `json:"cancel_url,omitempty"`
	Metadata           map[string]any `json:"metadata,omitempty"`
}

// CheckoutSession is the reply of POST /checkout; AmountUsd is a JSON
// number of US dollars.
type CheckoutSession struct {
	ID        string      `json:"id"`
	URL       string      `json:"url"`
	ExpiresAt string      `json:"expires_at"`
	AmountUsd json.Number `json:"amount_usd"`
}

// WithdrawRequest is the body of POST /withdrawals.
type WithdrawRequest struct {
	AmountUsdc      string `json:"amount_usdc"`
	IdempotencyKey  string `json:"idempotency_key"`
	BankDescription string `json:"bank_description,omitempty"`
}

// Withdrawal is a withdrawal (USDC off-ramped to a bank account).
type Withdrawal struct {
	ID              string  `json:"id"`
	Status          string  `json:"status"`
	AmountUsdc      string  `json:"amount_usdc"`
	FeeUsdc         string  `json:"fee_usdc"`
	NetAmountUsdc   string  `json:"net_amount_usdc"`
	FiatCurrency    string  `json:"fiat_currency"`
	BankDescription *string `json:"bank_description"`
	CreatedAt       string  `json:"created_at"`
	CompletedAt     *string `json:"completed_at"`
}

// WithdrawalList is the reply of GET /withdrawals; Total is the number of
// withdrawals matching the filter.
type WithdrawalList struct {
	Withdrawals []Withdrawal `json:"withdrawals"`
	Total       int          `json:"total"`
}

// WithdrawalFeeEstimate is the reply of GET /withdrawals/fee-estimate.
type WithdrawalFeeEstimate struct {
	AmountUsdc       string `json:"amount_usdc"`
	FeeUsdc          string `json:"fee_usdc"`
	NetAmountUsdc    string `json:"net_amount_usdc"`
	FeeBps           int    `json:"fee_bps"`
	FeePercent       string `json:"fee_percent"`
	Method           string `json:"method"`
	EstimatedArrival string `json:"estimated_arrival"`
}

// CancelWithdrawalResult is the reply of DELETE /withdrawals/{id}.
type CancelWithdrawalResult struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Cancelled bool   `json:"cancelled"`
}

// CreatePortalSessionRequest is the body of POST /portal-sessions;
// CustomerID is an internal or external id.
type CreatePortalSessionRequest struct {
	CustomerID       string `json:"customerId"`
	ExpiresInMinutes *int   `json:"expiresInMinutes,omitempty"`
}

// PortalSession is the reply of POST /portal-sessions. CustomerID is the
// resolved internal id; URL is a path (/portal/<token>) on the dashboard's
// origin.
type PortalSession struct {
	ID         string `json:"id"`
	Token      string `json:"token"`
	CustomerID string `json:"customerId"`
	ExpiresAt  string `json:"expiresAt"`
	URL        string `json:"url"`
}

// RevokePortalSessionResult is the reply of DELETE /portal-sessions/{id}.
type RevokePortalSessionResult struct {
	Success bool `json:"success"`
}

// WebhookDeposit is the data of the customer.deposit.confirmed and
// transaction.confirmed events a completed checkout sends.
type WebhookDeposit struct {
	TransactionID     string `json:"transactionId"`
	Type              string `json:"type"`
	Status            string `json:"status"`
	CustomerID        string `json:"customerId"`
	CheckoutSessionID string `json:"checkoutSessionId"`
	AmountUsdc        string `json:"amountUsdc"`
	BalanceUsdc       string `json:"balanceUsdc"`
}
