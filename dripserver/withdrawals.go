package dripserver

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/money"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// Withdrawals move USDC out of the business's settlement balance to its
// bank account. dripd serves one business; its settlement balance is the
// sum of its CONFIRMED charges less every withdrawal not FAILED or
// CANCELLED (gross amounts: a withdrawal in flight holds its funds). A
// withdrawal above that is 400 INSUFFICIENT_BALANCE.
//
// Fee: 1% (100 bps) of the amount, at least 0.50 USDC, rounded to 6
// decimals; the net amount is what reaches the bank.
//
// Status moves with the clock, counted from creation, and is brought up
// to date whenever withdrawals are read or written (so it is
// deterministic under WithClock):
//
//	PENDING             0–10 min (the only status a withdrawal can be cancelled in)
//	ONCHAIN_PENDING     10–20 min
//	ONCHAIN_CONFIRMED   20–30 min
//	OFFRAMP_PENDING     30–60 min
//	OFFRAMP_PROCESSING  1–24 h
//	COMPLETE            from 24 h; completed_at is the 24 h mark
//
// A bank description containing "[fail]" makes the off-ramp fail at the
// 24 h mark instead (status FAILED, funds released), the way test card
// numbers do. withdrawal.created is sent on creation, withdrawal.completed
// or withdrawal.failed when a withdrawal gets there; the data is the
// withdrawal as GET /withdrawals shows it.

// Withdrawal statuses.
const (
	WithdrawalPending           = "PENDING"
	WithdrawalOnchainPending    = "ONCHAIN_PENDING"
	WithdrawalOnchainConfirmed  = "ONCHAIN_CONFIRMED"
	WithdrawalOfframpPending    = "OFFRAMP_PENDING"
	WithdrawalOfframpProcessing = "OFFRAMP_PROCESSING"
	WithdrawalComplete          = "COMPLETE"
	WithdrawalFailed            = "FAILED"
	WithdrawalCancelled         = "CANCELLED"
)

// Withdrawal fee rule and limits.
const (
	WithdrawalFeeBps    = 100
	WithdrawalMinFee    = "0.5"
	WithdrawalMinAmount = "10"
	WithdrawalMaxAmount = "100000"
	// WithdrawalFailMarker in a bank description makes the off-ramp fail.
	WithdrawalFailMarker = "[fail]"
)

// withdrawalSchedule is when each status starts, from creation.
var withdrawalSchedule = []struct {
	after  time.Duration
	status string
}{
	{0, WithdrawalPending},
	{10 * time.Minute, WithdrawalOnchainPending},
	{20 * time.Minute, WithdrawalOnchainConfirmed},
	{30 * time.Minute, WithdrawalOfframpPending},
	{time.Hour, WithdrawalOfframpProcessing},
	{24 * time.Hour, WithdrawalComplete},
}

var withdrawalStatuses = []string{WithdrawalPending, WithdrawalOnchainPending, WithdrawalOnchainConfirmed,
	WithdrawalOfframpPending, WithdrawalOfframpProcessing, WithdrawalComplete, WithdrawalFailed, WithdrawalCancelled}

const tableWithdrawals = "withdrawals"

// withdrawal is a stored withdrawal; amounts are USDC decimals.
type withdrawal struct {
	ID              string    `json:"id"`
	IdempotencyKey  string    `json:"idempotencyKey"`
	Amount          string    `json:"amount"`
	Fee             string    `json:"fee"`
	Net             string    `json:"net"`
	BankDescription string    `json:"bankDescription,omitempty"`
	Status          string    `json:"status"`
	CreatedAt       time.Time `json:"createdAt"`
	CompletedAt     time.Time `json:"completedAt"`
}

func (w withdrawal) final() bool {
	return w.Status == WithdrawalComplete || w.Status == WithdrawalFailed || w.Status == WithdrawalCancelled
}

// statusAt is the status the schedule gives w at now.
func (w withdrawal) statusAt(now time.Time) (string, time.Time) {
	if w.final() {
		return w.Status, w.CompletedAt
	}
	age := now.Sub(w.CreatedAt)
	st := WithdrawalPending
	for _, s := range withdrawalSchedule {
		if age >= s.after {
			st = s.status
		}
	}
	if st != WithdrawalComplete {
		return st, time.Time{}
	}
	if strings.Contains(strings.ToLower(w.BankDescription), WithdrawalFailMarker) {
		return WithdrawalFailed, time.Time{}
	}
	return WithdrawalComplete, w.CreatedAt.Add(withdrawalSchedule[len(withdrawalSchedule)-1].after)
}

// withdrawalFee is the fee of amount.
func withdrawalFee(amount *big.Rat) *big.Rat {
	fee := new(big.Rat).Mul(amount, big.NewRat(WithdrawalFeeBps, 10000))
	if min := rat(WithdrawalMinFee); fee.Cmp(min) < 0 {
		fee = min
	}
	return roundUSDC(fee)
}

// parseWithdrawalAmount checks an amount_usdc.
func parseWithdrawalAmount(field, v string) (*big.Rat, error) {
	if v == "" {
		return nil, errValidation(field, "%s is required", field)
	}
	r, err := money.Parse(v)
	if err != nil || rat(usdc(r)).Cmp(r) != 0 {
		return nil, errValidation(field, "%s must be a USDC decimal with at most 6 decimals", field)
	}
	if r.Cmp(rat(WithdrawalMinAmount)) < 0 || r.Cmp(rat(WithdrawalMaxAmount)) > 0 {
		return nil, errValidation(field, "%s must be from %s to %s USDC", field, WithdrawalMinAmount, WithdrawalMaxAmount)
	}
	return r, nil
}

func withdrawalWire(w withdrawal) wire.Withdrawal {
	out := wire.Withdrawal{ID: w.ID, Status: w.Status, AmountUsdc: w.Amount, FeeUsdc: w.Fee, NetAmountUsdc: w.Net,
		FiatCurrency: "USD", BankDescription: strPtr(w.BankDescription), CreatedAt: formatTime(w.CreatedAt)}
	if !w.CompletedAt.IsZero() {
		c := formatTime(w.CompletedAt)
		out.CompletedAt = &c
	}
	return out
}

// --- handlers

func (s *Server) createWithdrawal(w http.ResponseWriter, r *http.Request) {
	var req wire.WithdrawRequest
	err := decode(r, &req)
	var amount *big.Rat
	if err == nil {
		amount, err = parseWithdrawalAmount("amount_usdc", req.AmountUsdc)
	}
	if err == nil {
		err = required("idempotency_key", req.IdempotencyKey)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	wd, created, err := s.svc.createWithdrawal(r.Context(), amount, req.IdempotencyKey, req.BankDescription)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, withdrawalWire(wd))
}

func (s *Server) listWithdrawals(w http.ResponseWriter, r *http.Request) {
	st := r.URL.Query().Get("status")
	var err error
	if st != "" {
		err = oneOf("status", st, withdrawalStatuses...)
	}
	limit, lerr := queryInt(r, "limit", 100, 1, 100)
	offset, oerr := queryInt(r, "offset", 0, 0, 1<<31-1)
	if err = firstErr(err, lerr, oerr); err != nil {
		s.fail(w, r, err)
		return
	}
	ws, total, err := s.svc.listWithdrawals(r.Context(), st, limit, offset)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.WithdrawalList{Withdrawals: make([]wire.Withdrawal, len(ws)), Total: total}
	for i, wd := range ws {
		out.Withdrawals[i] = withdrawalWire(wd)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) withdrawalFeeEstimate(w http.ResponseWriter, r *http.Request) {
	amount, err := parseWithdrawalAmount("amount_usdc", r.URL.Query().Get("amount_usdc"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	fee := withdrawalFee(amount)
	writeJSON(w, http.StatusOK, wire.WithdrawalFeeEstimate{AmountUsdc: usdc(amount), FeeUsdc: usdc(fee),
		NetAmountUsdc: usdc(new(big.Rat).Sub(amount, fee)), FeeBps: WithdrawalFeeBps,
		FeePercent: fmt.Sprintf("%.2f", float64(WithdrawalFeeBps)/100), Method: "ACH", EstimatedArrival: "1-3 business days"})
}

func (s *Server) cancelWithdrawal(w http.ResponseWriter, r *http.Request) {
	wd, err := s.svc.cancelWithdrawal(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.CancelWithdrawalResult{ID: wd.ID, Status: wd.Status, Cancelled: true})
}

// --- service

// advanceWithdrawals brings every withdrawal in flight up to date with the
// clock, sending the events of those that finished.
func (s *service) advanceWithdrawals(t *txn) error {
	now := s.now()
	ws, err := listDocs[withdrawal](t, tableWithdrawals, `WHERE status NOT IN (?, ?, ?) ORDER BY seq`,
		WithdrawalComplete, WithdrawalFailed, WithdrawalCancelled)
	if err != nil {
		return err
	}
	for _, w := range ws {
		st, done := w.statusAt(now)
		if st == w.Status {
			continue
		}
		w.Status, w.CompletedAt = st, done
		if err := t.putWithdrawal(w); err != nil {
			return err
		}
		switch st {
		case WithdrawalComplete:
			err = s.notify(t, eventWithdrawalCompleted, "", "", withdrawalWire(w))
		case WithdrawalFailed:
			err = s.notify(t, eventWithdrawalFailed, "", "", withdrawalWire(w))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) putWithdrawal(w withdrawal) error {
	return t.putDoc(tableWithdrawals, w.ID, w, "idempotency_key", w.IdempotencyKey, "status", w.Status)
}

// settlementBalance is the business's confirmed charges less the
// withdrawals that hold or took funds.
func (t *txn) settlementBalance() (*big.Rat, error) {
	sum := new(big.Rat)
	rows, err := t.query(`SELECT amount FROM charges WHERE status = ?`, ChargeConfirmed)
	if err != nil {
		return nil, fmt.Errorf("dripserver: sum charges: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("dripserver: sum charges: %w", err)
		}
		sum.Add(sum, rat(a))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ws, err := listDocs[withdrawal](t, tableWithdrawals, `WHERE status NOT IN (?, ?)`, WithdrawalFailed, WithdrawalCancelled)
	if err != nil {
		return nil, err
	}
	for _, w := range ws {
		sum.Sub(sum, rat(w.Amount))
	}
	return sum, nil
}

// createWithdrawal creates a withdrawal, or returns the one made with the
// same idempotency key (created false).
func (s *service) createWithdrawal(ctx context.Context, amount *big.Rat, key, bank string) (w withdrawal, created bool, err error) {
	err = s.store.update(ctx, func(t *txn) error {
		if err := s.advanceWithdrawals(t); err != nil {
			return err
		}
		ok, err := t.getDoc(tableWithdrawals, "idempotency_key = ?", &w, key)
		if err != nil || ok {
			return err
		}
		avail, err := t.settlementBalance()
		if err != nil {
			return err
		}
		if avail.Cmp(amount) < 0 {
			return &apiError{status: http.StatusBadRequest, code: CodeInsufficientBalance, field: "amount_usdc",
				message: fmt.Sprintf("insufficient settlement balance: %s USDC available, withdrawal is %s USDC", usdc(avail), usdc(amount))}
		}
		fee := withdrawalFee(amount)
		w = withdrawal{ID: newID(prefixWithdrawal), IdempotencyKey: key, Amount: usdc(amount), Fee: usdc(fee),
			Net: usdc(new(big.Rat).Sub(amount, fee)), BankDescription: bank, Status: WithdrawalPending, CreatedAt: s.now()}
		created = true
		if err := t.putWithdrawal(w); err != nil {
			return err
		}
		return s.notify(t, eventWithdrawalCreated, "", "", withdrawalWire(w))
	})
	return w, created, err
}

func (s *service) listWithdrawals(ctx context.Context, status string, limit, offset int) (ws []withdrawal, total int, err error) {
	err = s.store.update(ctx, func(t *txn) error {
		if err := s.advanceWithdrawals(t); err != nil {
			return err
		}
		cond, args := "", []any{}
		if status != "" {
			cond, args = "WHERE status = ?", append(args, status)
		}
		if err := t.queryRow(`SELECT count(*) FROM withdrawals `+cond, args...).Scan(&total); err != nil {
			return fmt.Errorf("dripserver: count withdrawals: %w", err)
		}
		ws, err = listDocs[withdrawal](t, tableWithdrawals, cond+` ORDER BY seq DESC LIMIT ? OFFSET ?`,
			append(args, limit, offset)...)
		return err
	})
	return ws, total, err
}

// cancelWithdrawal cancels a PENDING withdrawal; any other is 409
// WITHDRAWAL_NOT_CANCELLABLE.
func (s *service) cancelWithdrawal(ctx context.Context, id string) (w withdrawal, err error) {
	err = s.store.update(ctx, func(t *txn) error {
		if err := s.advanceWithdrawals(t); err != nil {
			return err
		}
		ok, err := t.getDoc(tableWithdrawals, "id = ?", &w, id)
		if err != nil || !ok {
			return firstErr(err, errNotFound("withdrawal %q not found", id))
		}
		if w.Status != WithdrawalPending {
			return &apiError{status: http.StatusConflict, code: CodeWithdrawalNotCancellable,
				message: fmt.Sprintf("withdrawal %s is %s; only a PENDING withdrawal can be cancelled", w.ID, w.Status)}
		}
		w.Status = WithdrawalCancelled
		return t.putWithdrawal(w)
	})
	return w, err
}
