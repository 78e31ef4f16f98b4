package dripserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"html/template"
	"net/http"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// Portal sessions: a token that lets a customer open /portal/{token} on
// dripd's origin, a read-only page of their balance and latest charges,
// until the session expires (expiresInMinutes, clamped to 5–1440, default
// 60) or is revoked. After that the page answers 404, as for a token that
// never existed. The API answers the URL as a path, /portal/<token>.

const tablePortal = "portal_sessions"

// Portal session lifetimes, in minutes.
const (
	portalDefaultMinutes = 60
	portalMinMinutes     = 5
	portalMaxMinutes     = 1440
	portalPageCharges    = 20
)

// portalSession is a stored portal session.
type portalSession struct {
	ID         string    `json:"id"`
	Token      string    `json:"token"`
	CustomerID string    `json:"customerId"`
	CreatedAt  time.Time `json:"createdAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
	RevokedAt  time.Time `json:"revokedAt"`
}

func (p portalSession) live(now time.Time) bool {
	return p.RevokedAt.IsZero() && now.Before(p.ExpiresAt)
}

func (s *Server) createPortalSession(w http.ResponseWriter, r *http.Request) {
	var req wire.CreatePortalSessionRequest
	err := decode(r, &req)
	if err == nil {
		err = required("customerId", req.CustomerID)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	minutes := portalDefaultMinutes
	if req.ExpiresInMinutes != nil {
		minutes = min(max(*req.ExpiresInMinutes, portalMinMinutes), portalMaxMinutes)
	}
	ps, err := s.svc.createPortalSession(r.Context(), req.CustomerID, time.Duration(minutes)*time.Minute)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, wire.PortalSession{ID: ps.ID, Token: ps.Token, CustomerID: ps.CustomerID,
		ExpiresAt: formatTime(ps.ExpiresAt), URL: "/portal/" + ps.Token})
}

func (s *Server) revokePortalSession(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.revokePortalSession(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.RevokePortalSessionResult{Success: true})
}

func (s *service) createPortalSession(ctx context.Context, customerRef string, ttl time.Duration) (ps portalSession, err error) {
	now := s.now()
	var b [24]byte
	_, _ = rand.Read(b[:])
	ps = portalSession{ID: newID(prefixPortal), Token: hex.EncodeToString(b[:]), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err = s.store.update(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(customerRef)
		if err != nil {
			return err
		}
		ps.CustomerID = c.ID
		return t.putDoc(tablePortal, ps.ID, ps, "token", ps.Token)
	})
	return ps, err
}

// revokePortalSession ends a session; revoking it again is harmless.
func (s *service) revokePortalSession(ctx context.Context, id string) error {
	return s.store.update(ctx, func(t *txn) error {
		var ps portalSession
		ok, err := t.getDoc(tablePortal, "id = ?", &ps, id)
		if err != nil || !ok {
			return firstErr(err, errNotFound("portal session %q not found", id))
		}
		if !ps.RevokedAt.IsZero() {
			return nil
		}
		ps.RevokedAt = s.now()
		return t.putDoc(tablePortal, ps.ID, ps, "token", ps.Token)
	})
}

// portalView is what the portal page shows.
type portalView struct {
	CustomerID, External, Balance, Available, ExpiresAt string
	Charges                                             []portalCharge
}

type portalCharge struct{ At, Meter, Amount, Status string }

// portalData reads the customer of a live session with its balance and
// latest charges.
func (s *service) portalData(ctx context.Context, token string) (v portalView, err error) {
	now := s.now()
	err = s.store.view(ctx, func(t *txn) error {
		var ps portalSession
		ok, err := t.getDoc(tablePortal, "token = ?", &ps, token)
		if err != nil || !ok || !ps.live(now) {
			return firstErr(err, errNotFound("portal link expired, revoked or unknown"))
		}
		c, ok, err := t.customerByID(ps.CustomerID)
		if err != nil || !ok {
			return firstErr(err, errNotFound("portal link expired, revoked or unknown"))
		}
		b, ok, err := t.balanceOf(c.ID)
		if err != nil {
			return err
		}
		if !ok {
			b = balance{Balance: usdc(ratZero()), Pending: usdc(ratZero())}
			if canBeBilled(c) {
				b.Balance = usdc(s.bill.startingBalance())
			}
		}
		avail := ratZero().Sub(rat(b.Balance), rat(b.Pending))
		v = portalView{CustomerID: c.ID, External: c.ExternalCustomerID, Balance: b.Balance, Available: usdc(avail),
			ExpiresAt: formatTime(ps.ExpiresAt)}
		cs, _, err := t.listCharges(c.ID, "", portalPageCharges, 0)
		if err != nil {
			return err
		}
		for _, ch := range cs {
			v.Charges = append(v.Charges, portalCharge{At: formatTime(ch.CreatedAt), Meter: ch.UsageType, Amount: ch.Amount,
				Status: ch.Status})
		}
		return nil
	})
	return v, err
}

var portalTmpl = template.Must(template.New("portal").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Billing</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #ddd}
.note{color:#666;font-size:.85rem}</style></head>
<body>
<h1>Billing</h1>
<p>Customer <code>{{.CustomerID}}</code>{{if .External}} ({{.External}}){{end}}</p>
<p>Balance: <strong>{{.Balance}} USDC</strong>, available {{.Available}} USDC</p>
<h2>Latest charges</h2>
{{if .Charges}}<table><tr><th>When</th><th>Meter</th><th>Amount (USDC)</th><th>Status</th></tr>
{{range .Charges}}<tr><td>{{.At}}</td><td>{{.Meter}}</td><td>{{.Amount}}</td><td>{{.Status}}</td></tr>
{{end}}</table>{{else}}<p>No charges yet.</p>{{end}}
<p class="note">This link works until {{.ExpiresAt}}.</p>
</body></html>
`))

func (s *Server) portalPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.portalData(r.Context(), r.PathValue("token"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	writePage(w, http.StatusOK, portalTmpl, v)
}
