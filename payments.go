package drip

import (
	"context"
	"iter"
	"math/big"
	"net/url"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// Checkout, withdrawals and portal sessions: money into a customer's
// account, money out of the business's settlement balance, and a link a
// customer can open to see their own billing.
//
// Key scoping: Checkout works with a public (pk_) key, as in both official
// clients, since it only starts a payment the customer makes. Withdrawals
// (all four calls) and portal sessions need a secret key: they move the
// business's money or hand out access to a customer's billing. The
// official Python client refuses both with a public key; the Node client
// lets withdrawals through and leaves the refusal to the API.

// Checkout amount bounds in US cents.
const (
	MinCheckoutCents = 500     // $5.00
	MaxCheckoutCents = 1000000 // $10,000.00
)

// Withdrawal amount bounds in USDC.
var (
	MinWithdrawal = MustDecimal("10")
	MaxWithdrawal = MustDecimal("100000")
)

// CheckoutParams starts a checkout session.
type CheckoutParams struct {
	// Amount is what the customer pays, in US dollars with whole cents:
	// $5.00 to $10,000.00. It travels as integer cents.
	Amount Decimal
	// ReturnURL is where the customer's browser goes after paying, an
	// absolute http(s) URL; Drip adds the query parameters session_id,
	// customer_id and status (dripd sends status=complete, or cancelled
	// when the customer cancels and there is no CancelURL). Required.
	ReturnURL string
	// CancelURL, if set, is where the browser goes when the customer
	// cancels.
	CancelURL string
	// CustomerID pays into an existing customer (internal id). Without it
	// and without ExternalCustomerID, a new customer is created on payment.
	CustomerID string
	// ExternalCustomerID pays into the customer with this external id,
	// created on payment if there is none yet.
	ExternalCustomerID string
	Metadata           map[string]any
}

// CheckoutSession is a started checkout: send the customer's browser to
// URL before ExpiresAt (about 30 minutes).
type CheckoutSession struct {
	ID        string
	URL       string
	ExpiresAt time.Time
	// AmountUSD is the amount in US dollars.
	AmountUSD Decimal
}

// Checkout creates a checkout session that adds funds to a customer's
// balance (POST /checkout). The request is snake_case on the wire; the
// reply is read in snake_case (expires_at, amount_usd) as the official
// Node client reads it. Allowed with a public key.
func (c *Client) Checkout(ctx context.Context, p CheckoutParams) (*CheckoutSession, error) {
	const op = "Checkout"
	cents, err := checkoutCents(op, p.Amount)
	if err != nil {
		return nil, err
	}
	if err := checkAbsURL(op, "returnUrl", p.ReturnURL, true); err != nil {
		return nil, err
	}
	if err := checkAbsURL(op, "cancelUrl", p.CancelURL, false); err != nil {
		return nil, err
	}
	if err := checkIDs(op, "customerId", p.CustomerID, "externalCustomerId", p.ExternalCustomerID); err != nil {
		return nil, err
	}
	if err := checkMetadata(op, "metadata", p.Metadata); err != nil {
		return nil, err
	}
	if err := checkMetadataEncoded(op, "metadata", p.Metadata); err != nil {
		return nil, err
	}
	body := wire.CheckoutRequest{Amount: cents, ReturnURL: p.ReturnURL, CancelURL: p.CancelURL, CustomerID: p.CustomerID,
		ExternalCustomerID: p.ExternalCustomerID, Metadata: p.Metadata}
	var out wire.CheckoutSession
	if _, err := c.do(ctx, request{op: op, method: "POST", path: "/checkout", body: &body, out: &out}); err != nil {
		return nil, err
	}
	return checkoutFromWire(&out), nil
}

// checkoutCents converts a dollar amount to cents, refusing fractions of a
// cent and amounts out of bounds.
func checkoutCents(op string, amount Decimal) (int64, error) {
	cents := new(big.Rat).Mul(amount.Rat(), big.NewRat(100, 1))
	if !cents.IsInt() {
		return 0, validationError(op, "amount", "amount must be whole cents (at most 2 decimals)")
	}
	n := cents.Num()
	if !n.IsInt64() || n.Int64() < MinCheckoutCents || n.Int64() > MaxCheckoutCents {
		return 0, validationError(op, "amount", "amount must be between $5.00 and $10,000.00")
	}
	return n.Int64(), nil
}

func checkAbsURL(op, field, s string, required bool) error {
	if s == "" {
		if required {
			return validationError(op, field, field+" is required")
		}
		return nil
	}
	if err := checkString(op, field, s, 2048); err != nil {
		return err
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return validationError(op, field, field+" must be an absolute http(s) URL")
	}
	return nil
}

// WithdrawalStatus is where a withdrawal is on its way to the bank.
type WithdrawalStatus string

// Withdrawal statuses, in the order a withdrawal moves through them;
// COMPLETE, FAILED and CANCELLED are final.
const (
	WithdrawalPending           WithdrawalStatus = "PENDING"
	WithdrawalOnchainPending    WithdrawalStatus = "ONCHAIN_PENDING"
	WithdrawalOnchainConfirmed  WithdrawalStatus = "ONCHAIN_CONFIRMED"
	WithdrawalOfframpPending    WithdrawalStatus = "OFFRAMP_PENDING"
	WithdrawalOfframpProcessing WithdrawalStatus = "OFFRAMP_PROCESSING"
	WithdrawalComplete          WithdrawalStatus = "COMPLETE"
	WithdrawalFailed            WithdrawalStatus = "FAILED"
	WithdrawalCancelled         WithdrawalStatus = "CANCELLED"
)

// Final reports whether s is a status a withdrawal never leaves.
func (s WithdrawalStatus) Final() bool {
	return s == WithdrawalComplete || s == WithdrawalFailed || s == WithdrawalCancelled
}

// WithdrawParams withdraws USDC from the business's settlement balance to
// its bank account.
type WithdrawParams struct {
	// Amount is the gross amount in USDC, 10 to 100,000, at most 6
	// decimals; the fee comes out of it.
	Amount Decimal
	// IdempotencyKey makes the withdrawal safe to retry: the API requires
	// one, and a repeat returns the original withdrawal. Empty means one is
	// generated (wd_<24 hex>) and reused by every retry of this call.
	IdempotencyKey string
	// BankDescription labels the destination for display (e.g.
	// "Chase ****1234").
	BankDescription string
}

// Withdrawal is a withdrawal with its fee.
type Withdrawal struct {
	ID     string
	Status WithdrawalStatus
	// Amount is the gross amount, Fee the off-ramp fee and NetAmount what
	// reaches the bank (Amount - Fee), all in USDC.
	Amount          Decimal
	Fee             Decimal
	NetAmount       Decimal
	FiatCurrency    string
	BankDescription string
	CreatedAt       time.Time
	// CompletedAt is zero until the withdrawal is COMPLETE.
	CompletedAt time.Time
}

// Withdraw creates a withdrawal (POST /withdrawals, snake_case on the
// wire). The amount must be within the settlement balance not already
// being withdrawn: otherwise 400 INSUFFICIENT_BALANCE. Needs a secret key.
func (c *Client) Withdraw(ctx context.Context, p WithdrawParams) (*Withdrawal, error) {
	const op = "Withdraw"
	if err := checkWithdrawAmount(op, p.Amount); err != nil {
		return nil, err
	}
	if err := checkIDs(op, "idempotencyKey", p.IdempotencyKey); err != nil {
		return nil, err
	}
	if err := checkString(op, "bankDescription", p.BankDescription, MaxIDLength); err != nil {
		return nil, err
	}
	key := p.IdempotencyKey
	if key == "" {
		key = newKey(keyPrefixWithdrawal)
	}
	body := wire.WithdrawRequest{AmountUsdc: p.Amount.String(), IdempotencyKey: key, BankDescription: p.BankDescription}
	var out wire.Withdrawal
	if _, err := c.do(ctx, request{op: op, method: "POST", path: "/withdrawals", body: &body, out: &out, secret: true}); err != nil {
		return nil, err
	}
	w := withdrawalFromWire(&out)
	return &w, nil
}

const keyPrefixWithdrawal = "wd"

func checkWithdrawAmount(op string, amount Decimal) error {
	if amount.Cmp(MinWithdrawal) < 0 || amount.Cmp(MaxWithdrawal) > 0 {
		return validationError(op, "amountUsdc", "amountUsdc must be between 10 and 100000 USDC")
	}
	if amount.Round(6).Cmp(amount) != 0 {
		return validationError(op, "amountUsdc", "amountUsdc has at most 6 decimals")
	}
	return nil
}

// ListWithdrawalsParams filters and pages ListWithdrawals.
type ListWithdrawalsParams struct {
	Status WithdrawalStatus
	// Limit is 1–100 (server default 100).
	Limit  int
	Offset int
}

// WithdrawalList is one page of withdrawals, newest first.
type WithdrawalList struct {
	Withdrawals []Withdrawal
	// Total is the number of withdrawals matching the filter.
	Total int
}

// ListWithdrawals returns one page of the business's withdrawals
// (GET /withdrawals). Use Withdrawals to walk every page. Needs a secret
// key.
func (c *Client) ListWithdrawals(ctx context.Context, p *ListWithdrawalsParams) (*WithdrawalList, error) {
	const op = "ListWithdrawals"
	if p == nil {
		p = &ListWithdrawalsParams{}
	}
	if err := checkIDs(op, "status", string(p.Status)); err != nil {
		return nil, err
	}
	path, err := listPath(op, "/withdrawals", p.Limit, p.Offset, "status", string(p.Status))
	if err != nil {
		return nil, err
	}
	var out wire.WithdrawalList
	if _, err := c.do(ctx, request{op: op, method: "GET", path: path, out: &out, secret: true}); err != nil {
		return nil, err
	}
	l := &WithdrawalList{Withdrawals: make([]Withdrawal, len(out.Withdrawals)), Total: out.Total}
	for i := range out.Withdrawals {
		l.Withdrawals[i] = withdrawalFromWire(&out.Withdrawals[i])
	}
	return l, nil
}

// Withdrawals iterates over every withdrawal matching p, page by page.
// Iteration stops at the first error, which is yielded.
func (c *Client) Withdrawals(ctx context.Context, p *ListWithdrawalsParams) iter.Seq2[Withdrawal, error] {
	q := ListWithdrawalsParams{}
	if p != nil {
		q = *p
	}
	return offsetPages(q.Limit, q.Offset, func(limit, offset int) ([]Withdrawal, int, error) {
		q.Limit, q.Offset = limit, offset
		page, err := c.ListWithdrawals(ctx, &q)
		if err != nil {
			return nil, 0, err
		}
		return page.Withdrawals, page.Total, nil
	})
}

// WithdrawalFeeEstimate is what a withdrawal of Amount would cost.
type WithdrawalFeeEstimate struct {
	Amount    Decimal
	Fee       Decimal
	NetAmount Decimal
	// FeeBps is the fee rate in basis points; FeePercent the same rate as
	// Drip writes it ("1.00").
	FeeBps     int
	FeePercent string
	// Method is the payout rail (e.g. ACH); EstimatedArrival a
	// human-readable time (e.g. "1-3 business days").
	Method           string
	EstimatedArrival string
}

// EstimateWithdrawalFee returns the fee a withdrawal of amount would pay
// (GET /withdrawals/fee-estimate). Needs a secret key.
func (c *Client) EstimateWithdrawalFee(ctx context.Context, amount Decimal) (*WithdrawalFeeEstimate, error) {
	const op = "EstimateWithdrawalFee"
	if err := checkWithdrawAmount(op, amount); err != nil {
		return nil, err
	}
	var out wire.WithdrawalFeeEstimate
	path := "/withdrawals/fee-estimate?amount_usdc=" + url.QueryEscape(amount.String())
	if _, err := c.do(ctx, request{op: op, method: "GET", path: path, out: &out, secret: true}); err != nil {
		return nil, err
	}
	return &WithdrawalFeeEstimate{Amount: parseDecimal(out.AmountUsdc), Fee: parseDecimal(out.FeeUsdc),
		NetAmount: parseDecimal(out.NetAmountUsdc), FeeBps: out.FeeBps, FeePercent: out.FeePercent, Method: out.Method,
		EstimatedArrival: out.EstimatedArrival}, nil
}

// CancelledWithdrawal is the reply of CancelWithdrawal.
type CancelledWithdrawal struct {
	ID        string
	Status    WithdrawalStatus
	Cancelled bool
}

// CancelWithdrawal cancels a withdrawal that is still PENDING, before
// on-chain processing starts (DELETE /withdrawals/{id}); its amount is
// back in the settlement balance. Later, the API refuses with 409.
// Needs a secret key.
func (c *Client) CancelWithdrawal(ctx context.Context, id string) (*CancelledWithdrawal, error) {
	const op = "CancelWithdrawal"
	if err := requireID(op, "withdrawalId", id); err != nil {
		return nil, err
	}
	var out wire.CancelWithdrawalResult
	if _, err := c.do(ctx, request{op: op, method: "DELETE", path: "/withdrawals/" + url.PathEscape(id), out: &out,
		secret: true}); err != nil {
		return nil, err
	}
	return &CancelledWithdrawal{ID: out.ID, Status: WithdrawalStatus(out.Status), Cancelled: out.Cancelled}, nil
}

// PortalSessionParams creates a portal session.
type PortalSessionParams struct {
	// CustomerID is the customer's internal or external id. Required.
	CustomerID string
	// ExpiresIn is how long the link works, in whole minutes (rounded
	// up), clamped to 5 minutes–24 hours as the API clamps it; 0 means
	// the API's default, 60 minutes.
	ExpiresIn time.Duration
}

// PortalSession is a link a customer can open to see their billing.
type PortalSession struct {
	// ID revokes the session (RevokePortalSession).
	ID    string
	Token string
	// CustomerID is the resolved internal id.
	CustomerID string
	ExpiresAt  time.Time
	// URL is a path, /portal/<token>, on the Drip dashboard's origin
	// (https://app.drippay.dev; dripd serves it on its own origin).
	URL string
}

// CreatePortalSession creates a portal session for a customer
// (POST /portal-sessions). Needs a secret key.
func (c *Client) CreatePortalSession(ctx context.Context, p PortalSessionParams) (*PortalSession, error) {
	const op = "CreatePortalSession"
	if err := requireID(op, "customerId", p.CustomerID); err != nil {
		return nil, err
	}
	if p.ExpiresIn < 0 {
		return nil, validationError(op, "expiresInMinutes", "expiresInMinutes must be > 0")
	}
	body := wire.CreatePortalSessionRequest{CustomerID: p.CustomerID}
	if p.ExpiresIn > 0 {
		m := int((p.ExpiresIn + time.Minute - 1) / time.Minute)
		m = min(max(m, 5), 1440)
		body.ExpiresInMinutes = &m
	}
	var out wire.PortalSession
	if _, err := c.do(ctx, request{op: op, method: "POST", path: "/portal-sessions", body: &body, out: &out,
		secret: true}); err != nil {
		return nil, err
	}
	return &PortalSession{ID: out.ID, Token: out.Token, CustomerID: out.CustomerID, ExpiresAt: parseTime(out.ExpiresAt),
		URL: out.URL}, nil
}

// RevokePortalSession ends a portal session at once
// (DELETE /portal-sessions/{id}): its link stops working. Needs a secret
// key.
func (c *Client) RevokePortalSession(ctx context.Context, id string) error {
	const op = "RevokePortalSession"
	if err := requireID(op, "sessionId", id); err != nil {
		return err
	}
	var out wire.RevokePortalSessionResult
	_, err := c.do(ctx, request{op: op, method: "DELETE", path: "/portal-sessions/" + url.PathEscape(id), out: &out,
		secret: true})
	return err
}

func checkoutFromWire(w *wire.CheckoutSession) *CheckoutSession {
	return &CheckoutSession{ID: w.ID, URL: w.URL, ExpiresAt: parseTime(w.ExpiresAt), AmountUSD: parseDecimal(w.AmountUsd.String())}
}

func withdrawalFromWire(w *wire.Withdrawal) Withdrawal {
	return Withdrawal{ID: w.ID, Status: WithdrawalStatus(w.Status), Amount: parseDecimal(w.AmountUsdc),
		Fee: parseDecimal(w.FeeUsdc), NetAmount: parseDecimal(w.NetAmountUsdc), FiatCurrency: w.FiatCurrency,
		BankDescription: deref(w.BankDescription), CreatedAt: parseTime(w.CreatedAt), CompletedAt: parseTimePtr(w.CompletedAt)}
}

// Deposit is the data of a customer.deposit.confirmed or
// transaction.confirmed event: a completed checkout credited a customer's
// balance.
type Deposit struct {
	TransactionID     string
	Type              string // DEPOSIT
	Status            string // CONFIRMED
	CustomerID        string
	CheckoutSessionID string
	// Amount is what was credited and Balance the customer's balance
	// after it, in USDC.
	Amount  Decimal
	Balance Decimal
}

// Deposit decodes the data of a customer.deposit.confirmed or
// transaction.confirmed event; another type is a VALIDATION_ERROR.
func (e WebhookEvent) Deposit() (*Deposit, error) {
	var w wire.WebhookDeposit
	if err := e.decodeAs("Deposit", &w, WebhookCustomerDepositConfirmed, WebhookTransactionConfirmed); err != nil {
		return nil, err
	}
	d := &Deposit{TransactionID: w.TransactionID, Type: w.Type, Status: w.Status, CustomerID: w.CustomerID,
		CheckoutSessionID: w.CheckoutSessionID}
	var err error
	if d.Amount, err = webhookDecimal("Deposit", "amountUsdc", w.AmountUsdc); err != nil {
		return nil, err
	}
	if d.Balance, err = webhookDecimal("Deposit", "balanceUsdc", w.BalanceUsdc); err != nil {
		return nil, err
	}
	return d, nil
}

// Withdrawal decodes the data of a withdrawal.created, withdrawal.completed
// or withdrawal.failed event, the withdrawal as ListWithdrawals returns
// it; another type is a VALIDATION_ERROR.
func (e WebhookEvent) Withdrawal() (*Withdrawal, error) {
	var w wire.Withdrawal
	if err := e.decodeAs("Withdrawal", &w, WebhookWithdrawalCreated, WebhookWithdrawalCompleted, WebhookWithdrawalFailed); err != nil {
		return nil, err
	}
	wd := withdrawalFromWire(&w)
	return &wd, nil
}
