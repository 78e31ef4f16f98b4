package dripserver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/drip-sdk/drip-go/internal/webhooksig"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// The delivery loop. Deliveries are rows (store_webhooks.go): notify
// inserts them in the transaction that caused the event and wakes the
// loop once it commits; the loop sends what is due, records each outcome,
// and sleeps until the next retry is due or it is woken again. It never
// polls. Due times are wall-clock (a WithClock clock that stands still
// must not stop retries); event and health timestamps use the server's
// clock.

// ErrWebhooksRunning is returned by Run when another Run of the same
// Server is delivering.
var ErrWebhooksRunning = errors.New("dripserver: webhook delivery is already running for this server")

// Run delivers webhook events until ctx ends, then returns nil once no
// attempt is in flight. Start runs it for you (Instance.Shutdown stops
// it); a Server from New that you mount yourself delivers only while you
// run it:
//
//	srv := dripserver.New(store)
//	ctx, stop := context.WithCancel(context.Background())
//	go srv.Run(ctx)
//	defer stop()
//
// Without Run, events are still queued in the store and go out when a
// Server on the same database runs. An attempt cut short by ctx is not
// counted; that delivery is sent again by the next Run.
func (s *Server) Run(ctx context.Context) error {
	h := &s.svc.hooks
	if !h.running.CompareAndSwap(false, true) {
		return ErrWebhooksRunning
	}
	defer h.running.Store(false)
	wake := h.wakeCh()
	for {
		next, err := s.svc.deliverDue(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "webhooks: delivery loop", slog.Any("err", err))
			next = time.Now().Add(time.Second) // the store failed: try again shortly
		}
		var due <-chan time.Time
		var timer *time.Timer
		if !next.IsZero() {
			timer = time.NewTimer(time.Until(next))
			due = timer.C
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-due:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// deliveryBatch bounds how many due deliveries one pass reads, and
// deliveryParallel how many are in flight at once.
const (
	deliveryBatch    = 32
	deliveryParallel = 4
)

// deliverDue sends every delivery due now and returns when the next
// pending one is due (zero: none pending).
func (s *service) deliverDue(ctx context.Context) (time.Time, error) {
	for {
		var due []WebhookDelivery
		err := s.store.view(ctx, func(t *txn) (err error) {
			due, err = t.dueDeliveries(time.Now().UnixNano(), deliveryBatch)
			return err
		})
		if err != nil || len(due) == 0 {
			if err != nil {
				return time.Time{}, err
			}
			break
		}
		var (
			wg    sync.WaitGroup
			sem   = make(chan struct{}, deliveryParallel)
			mu    sync.Mutex
			first error
		)
		for _, d := range due {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if err := s.attempt(ctx, d); err != nil {
					mu.Lock()
					first = errors.Join(first, err)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if ctx.Err() != nil || first != nil {
			return time.Time{}, first
		}
	}
	var next time.Time
	err := s.store.view(ctx, func(t *txn) error {
		n, ok, err := t.nextDue()
		if ok {
			next = n
		}
		return err
	})
	return next, err
}

// attempt sends one pending delivery and records the outcome: delivered,
// due again after the backoff, or FAILED after the last attempt; and the
// endpoint's health.
func (s *service) attempt(ctx context.Context, d WebhookDelivery) error {
	var h webhook
	var ok bool
	if err := s.store.view(ctx, func(t *txn) (err error) { h, ok, err = t.webhookByID(d.WebhookID); return err }); err != nil {
		return err
	}
	if !ok {
		return nil // deleted, with its deliveries
	}
	var code int
	failure := "webhook is disabled"
	if h.IsActive {
		code, failure = s.hooks.post(ctx, h.URL, h.Secret, d)
		if ctx.Err() != nil {
			return nil // shutting down: not an attempt; the next Run sends it
		}
	}
	return s.store.update(context.WithoutCancel(ctx), func(t *txn) error {
		cur, ok, err := t.deliveryByID(d.ID)
		if err != nil || !ok || cur.Status != DeliveryPending {
			return err
		}
		h, ok, err := t.webhookByID(d.WebhookID)
		if err != nil || !ok {
			return err
		}
		now := s.now()
		cur.ResponseCode, cur.LastError = code, failure
		if !h.IsActive {
			cur.Status, cur.NextAttemptAt = DeliveryFailed, time.Time{}
			return t.saveDelivery(cur)
		}
		cur.Attempts++
		switch {
		case failure == "":
			cur.Status, cur.DeliveredAt, cur.NextAttemptAt = DeliveryDelivered, now, time.Time{}
			h.ConsecutiveFailures = 0
		case cur.Attempts >= s.hooks.attempts():
			cur.Status, cur.NextAttemptAt = DeliveryFailed, time.Time{}
			h.ConsecutiveFailures++
		default:
			cur.NextAttemptAt = time.Now().Add(s.hooks.backoff(cur.Attempts))
			h.ConsecutiveFailures++
		}
		if err := t.saveDelivery(cur); err != nil {
			return err
		}
		health := healthHealthy
		switch {
		case h.ConsecutiveFailures >= webhookUnhealthyAfter:
			health = healthUnhealthy
		case h.ConsecutiveFailures >= webhookDegradedAfter:
			health = healthDegraded
		}
		if health != h.HealthStatus {
			h.HealthStatus, h.LastHealthChange = health, now
			if health == healthUnhealthy {
				err := s.notify(t, eventEndpointUnhealty, "", "", wire.WebhookEndpointUnhealthy{
					WebhookID: h.ID, URL: h.URL, HealthStatus: health, ConsecutiveFailures: h.ConsecutiveFailures})
				if err != nil {
					return err
				}
			}
		}
		return t.saveWebhook(h)
	})
}

// client is the HTTP client of deliveries: no redirects (a 3xx is a
// failed attempt, and the body is never re-sent elsewhere), no keep-alive
// (deliveries are rare, and nothing lingers after Run).
func (h *webhookState) client() *http.Client {
	h.hcOnce.Do(func() {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DisableKeepAlives = true
		h.hc = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	})
	return h.hc
}

// post sends one attempt of d to target, signed with secret now (the
// receiver checks the signature's time against its own clock). It returns
// the response status (0 if none arrived) and, unless the endpoint
// answered 2xx, why the attempt failed.
func (h *webhookState) post(ctx context.Context, target, secret string, d WebhookDelivery) (int, string) {
	timeout := h.timeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, target, bytes.NewReader(d.Body))
	if err != nil {
		return 0, "cannot build request: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "dripd-webhooks")
	req.Header.Set(webhooksig.Header, webhooksig.Sign(d.Body, secret, time.Now()))
	req.Header.Set("X-Drip-Event", d.EventType)
	req.Header.Set("X-Drip-Delivery", d.ID)
	resp, err := h.client().Do(req)
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			return 0, "timed out after " + timeout.String()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, "request failed: " + err.Error()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, "endpoint answered " + strconv.Itoa(resp.StatusCode)
	}
	return resp.StatusCode, ""
}
