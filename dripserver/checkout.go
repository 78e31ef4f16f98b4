package dripserver

import (
	"context"
	"encoding/json"
	"html/template"
	"math/big"
	"net/http"
	"net/url"
	"time"

	"github.com/drip-sdk/drip-go/internal/money"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// Checkout: POST /v1/checkout starts a session for an amount in US cents
// and answers a URL on dripd's own origin, /checkout/{id}. That page shows
// the amount and a Pay button; paying (a form POST to the same path)
// credits the customer's balance with the amount as USDC, sends
// customer.deposit.confirmed and transaction.confirmed, and redirects
// (303) to the return URL with session_id, customer_id and status=complete.
// Cancel redirects to the cancel URL (else the return URL) with
// status=cancelled. A session expires 30 minutes after it was created; its
// page then answers 410 and paying is refused. Paying again redirects
// again and credits nothing.
//
// The customer is the one named by customer_id, else by
// external_customer_id (created on payment if there is none), else a new
// one created on payment. A customer without an on-chain address gets a
// dev one on payment so it can be billed; a balance that did not exist
// starts at the deposit for a customer that could not be billed before,
// and at the starting balance (what GET balance showed) for one that
// could.

// CheckoutTTL is how long a checkout session can be paid.
const CheckoutTTL = 30 * time.Minute

// Checkout session statuses, as the return URL's status parameter says
// them.
const (
	checkoutOpen      = "open"
	checkoutComplete  = "complete"
	checkoutCancelled = "cancelled"
	checkoutExpired   = "expired"
)

const tableCheckout = "checkout_sessions"

// checkoutSession is a stored checkout session.
type checkoutSession struct {
	ID                 string         `json:"id"`
	AmountCents        int64          `json:"amountCents"`
	ReturnURL          string         `json:"returnUrl"`
	CancelURL          string         `json:"cancelUrl,omitempty"`
	CustomerID         string         `json:"customerId,omitempty"` // as given: resolved when paid
	ExternalCustomerID string         `json:"externalCustomerId,omitempty"`
	Metadata           map[string]any `json:"metadata,omitempty"`
	Status             string         `json:"status"`
	CreatedAt          time.Time      `json:"createdAt"`
	ExpiresAt          time.Time      `json:"expiresAt"`
	CompletedAt        time.Time      `json:"completedAt"`
	PaidCustomerID     string         `json:"paidCustomerId,omitempty"`
	TransactionID      string         `json:"transactionId,omitempty"`
}

// status is the session's status at now: an open session past its expiry
// is expired.
func (cs checkoutSession) status(now time.Time) string {
	if cs.Status == checkoutOpen && !now.Before(cs.ExpiresAt) {
		return checkoutExpired
	}
	return cs.Status
}

// amountUSD is the amount in dollars, exactly.
func (cs checkoutSession) amountUSD() *big.Rat { return big.NewRat(cs.AmountCents, 100) }

func (s *Server) createCheckout(w http.ResponseWriter, r *http.Request) {
	var req wire.CheckoutRequest
	err := decode(r, &req)
	if err == nil && (req.Amount < 500 || req.Amount > 1000000) {
		err = errValidation("amount", "amount is in US cents and must be from 500 to 1000000")
	}
	if err == nil {
		err = firstErr(checkURL("return_url", req.ReturnURL, true), checkURL("cancel_url", req.CancelURL, false))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cs, err := s.svc.createCheckout(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	writeJSON(w, http.StatusCreated, wire.CheckoutSession{ID: cs.ID, URL: scheme + "://" + r.Host + "/checkout/" + cs.ID,
		ExpiresAt: formatTime(cs.ExpiresAt), AmountUsd: json.Number(money.Format(cs.amountUSD(), 2))})
}

// checkURL requires an absolute http(s) URL.
func checkURL(field, v string, required bool) error {
	if v == "" {
		if required {
			return errValidation(field, "%s is required", field)
		}
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errValidation(field, "%s must be an absolute http(s) URL", field)
	}
	return nil
}

func (s *service) createCheckout(ctx context.Context, req wire.CheckoutRequest) (cs checkoutSession, err error) {
	now := s.now()
	cs = checkoutSession{ID: newID(prefixCheckout), AmountCents: req.Amount, ReturnURL: req.ReturnURL,
		CancelURL: req.CancelURL, CustomerID: req.CustomerID, ExternalCustomerID: req.ExternalCustomerID,
		Metadata: req.Metadata, Status: checkoutOpen, CreatedAt: now, ExpiresAt: now.Add(CheckoutTTL)}
	err = s.store.update(ctx, func(t *txn) error {
		if req.CustomerID != "" {
			c, err := t.resolveCustomer(req.CustomerID)
			if err != nil {
				return err
			}
			if c.IsInternal {
				return &apiError{status: http.StatusBadRequest, code: CodeInternalCustomer,
					message: "customer " + c.ID + " is internal (not billed) and cannot be funded"}
			}
			cs.CustomerID = c.ID
		}
		return t.putDoc(tableCheckout, cs.ID, cs)
	})
	return cs, err
}

// completeCheckout pays session id: see the top of this file.
func (s *service) completeCheckout(ctx context.Context, id string) (cs checkoutSession, err error) {
	now := s.now()
	err = s.store.update(ctx, func(t *txn) error {
		ok, err := t.getDoc(tableCheckout, "id = ?", &cs, id)
		if err != nil || !ok {
			return firstErr(err, errNotFound("checkout session %q not found", id))
		}
		if st := cs.status(now); st != checkoutOpen {
			return nil // the caller shows the status; nothing changes
		}
		c, err := s.checkoutCustomer(t, cs, now)
		if err != nil {
			return err
		}
		bal, err := s.ensureBalance(t, c)
		if err != nil {
			return err
		}
		amount := cs.amountUSD()
		if err := s.debit(t, c, bal, new(big.Rat).Neg(amount)); err != nil { // a credit
			return err
		}
		cs.Status, cs.CompletedAt, cs.PaidCustomerID, cs.TransactionID = checkoutComplete, now, c.ID, newID(prefixTxn)
		if err := t.putDoc(tableCheckout, cs.ID, cs); err != nil {
			return err
		}
		after, _, err := t.balanceOf(c.ID)
		if err != nil {
			return err
		}
		data := wire.WebhookDeposit{TransactionID: cs.TransactionID, Type: "DEPOSIT", Status: "CONFIRMED", CustomerID: c.ID,
			CheckoutSessionID: cs.ID, AmountUsdc: usdc(amount), BalanceUsdc: after.Balance}
		if err := s.notify(t, eventTransactionConfirmed, c.ID, "", data); err != nil {
			return err
		}
		return s.notify(t, eventDepositConfirmed, c.ID, "", data)
	})
	return cs, err
}

// checkoutCustomer finds or creates the customer a payment funds and makes
// it billable.
func (s *service) checkoutCustomer(t *txn, cs checkoutSession, now time.Time) (Customer, error) {
	var c Customer
	found := false
	var err error
	switch {
	case cs.CustomerID != "":
		if c, err = t.resolveCustomer(cs.CustomerID); err != nil {
			return c, err
		}
		found = true
	case cs.ExternalCustomerID != "":
		if c, found, err = t.customerByExternalID(cs.ExternalCustomerID); err != nil {
			return c, err
		}
	}
	zero := balance{Balance: usdc(new(big.Rat)), Pending: usdc(new(big.Rat))}
	if !found {
		c = Customer{ID: newID(prefixCustomer), ExternalCustomerID: cs.ExternalCustomerID, OnchainAddress: devAddress(),
			Status: customerStatusActive, CreatedAt: now, UpdatedAt: now}
		if err := t.insertCustomer(c); err != nil {
			return c, err
		}
		if err := t.putBalance(c.ID, zero); err != nil {
			return c, err
		}
		return c, s.customerCreated(t, c)
	}
	if c.IsInternal {
		return c, &apiError{status: http.StatusBadRequest, code: CodeInternalCustomer,
			message: "customer " + c.ID + " is internal (not billed) and cannot be funded"}
	}
	if c.OnchainAddress == "" {
		c.OnchainAddress, c.UpdatedAt = devAddress(), now
		if err := t.setCustomerBilling(c.ID, c.OnchainAddress, c.Status, now); err != nil {
			return c, err
		}
		if _, ok, err := t.balanceOf(c.ID); err != nil {
			return c, err
		} else if !ok {
			return c, t.putBalance(c.ID, zero)
		}
	}
	return c, nil
}

func (s *service) cancelCheckout(ctx context.Context, id string) (cs checkoutSession, err error) {
	now := s.now()
	err = s.store.update(ctx, func(t *txn) error {
		ok, err := t.getDoc(tableCheckout, "id = ?", &cs, id)
		if err != nil || !ok {
			return firstErr(err, errNotFound("checkout session %q not found", id))
		}
		if cs.status(now) != checkoutOpen {
			return nil
		}
		cs.Status = checkoutCancelled
		return t.putDoc(tableCheckout, cs.ID, cs)
	})
	return cs, err
}

func (s *service) getCheckout(ctx context.Context, id string) (cs checkoutSession, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		ok, err := t.getDoc(tableCheckout, "id = ?", &cs, id)
		if err == nil && !ok {
			err = errNotFound("checkout session %q not found", id)
		}
		return err
	})
	return cs, err
}

// --- the page

var checkoutTmpl = template.Must(template.New("checkout").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dripd checkout</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
.amount{font-size:2rem;font-weight:600}button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}
.note{color:#666;font-size:.85rem}</style></head>
<body>
<h1>Add funds</h1>
<p class="amount">${{.Amount}}</p>
{{if .Customer}}<p>Customer: <code>{{.Customer}}</code></p>{{end}}
{{if eq .Status "open"}}
<form method="post" action="/checkout/{{.ID}}">
<button type="submit" name="action" value="pay">Pay ${{.Amount}}</button>
<button type="submit" name="action" value="cancel">Cancel</button>
</form>
<p class="note">Expires {{.ExpiresAt}}. This is dripd's local checkout: no card is charged; paying credits the balance.</p>
{{else if eq .Status "complete"}}<p>Paid. <a href="{{.ReturnURL}}">Continue</a></p>
{{else if eq .Status "expired"}}<p>This checkout session has expired.</p>
{{else}}<p>This checkout session was cancelled.</p>{{end}}
</body></html>
`))

type checkoutView struct {
	ID, Amount, Customer, Status, ExpiresAt string
	ReturnURL                               template.URL
}

func (s *Server) renderCheckout(w http.ResponseWriter, cs checkoutSession, now time.Time) {
	st := cs.status(now)
	code := http.StatusOK
	if st == checkoutExpired {
		code = http.StatusGone
	}
	cust := cs.PaidCustomerID
	if cust == "" {
		cust = cs.CustomerID
	}
	if cust == "" {
		cust = cs.ExternalCustomerID
	}
	v := checkoutView{ID: cs.ID, Amount: money.Format(cs.amountUSD(), 2), Customer: cust, Status: st,
		ExpiresAt: formatTime(cs.ExpiresAt)}
	if st == checkoutComplete {
		v.ReturnURL = template.URL(returnURL(cs.ReturnURL, cs, st))
	}
	writePage(w, code, checkoutTmpl, v)
}

func (s *Server) checkoutPage(w http.ResponseWriter, r *http.Request) {
	cs, err := s.svc.getCheckout(r.Context(), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderCheckout(w, cs, s.svc.now())
}

func (s *Server) checkoutSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id := r.PathValue("id")
	var cs checkoutSession
	var err error
	switch r.PostForm.Get("action") {
	case "pay":
		cs, err = s.svc.completeCheckout(r.Context(), id)
	case "cancel":
		cs, err = s.svc.cancelCheckout(r.Context(), id)
	default:
		http.Error(w, "action must be pay or cancel", http.StatusBadRequest)
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	now := s.svc.now()
	switch st := cs.status(now); st {
	case checkoutComplete:
		http.Redirect(w, r, returnURL(cs.ReturnURL, cs, st), http.StatusSeeOther)
	case checkoutCancelled:
		to := cs.CancelURL
		if to == "" {
			to = cs.ReturnURL
		}
		http.Redirect(w, r, returnURL(to, cs, st), http.StatusSeeOther)
	default:
		s.renderCheckout(w, cs, now)
	}
}

// returnURL is u with session_id, customer_id and status added to its
// query.
func returnURL(u string, cs checkoutSession, status string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u // checked when the session was created
	}
	q := p.Query()
	q.Set("session_id", cs.ID)
	cust := cs.PaidCustomerID
	if cust == "" {
		cust = cs.CustomerID
	}
	q.Set("customer_id", cust)
	q.Set("status", status)
	p.RawQuery = q.Encode()
	return p.String()
}

// writePage writes an HTML page.
func writePage(w http.ResponseWriter, code int, t *template.Template, v any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:")
	w.WriteHeader(code)
	_ = t.Execute(w, v)
}

// pageError answers a page request that failed: a plain-text 404 for an
// unknown id, else the usual 500.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	if ae, ok := asAPIError(err); ok {
		http.Error(w, ae.message, ae.status)
		return
	}
	writeError(w, r, s.log, err)
}

// CheckoutSession returns a checkout session as stored, its fields by
// JSON name (amountCents, returnUrl, status, …), for tests and tools; nil
// when there is none.
func (s *Store) CheckoutSession(ctx context.Context, id string) (doc map[string]any, err error) {
	err = s.view(ctx, func(t *txn) error {
		_, err := t.getDoc(tableCheckout, "id = ?", &doc, id)
		return err
	})
	return doc, err
}
