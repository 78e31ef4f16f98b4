// Package middleware meters HTTP requests through Drip: one usage record
// per request, for the customer your own authentication says it is, and,
// on request, one Drip run per request that every LLM call inside the
// handler lands in.
//
// The shortest correct use, on any router that takes
// func(http.Handler) http.Handler (net/http, chi, gorilla/mux, …):
//
//	tracker := drip.NewTracker(client)
//	metered := middleware.New(middleware.Config{
//		Meter:   "api_calls",
//		Tracker: tracker,
//		CustomerResolver: func(r *http.Request) (string, error) {
//			return auth.TenantID(r) // your auth; never a client header
//		},
//	})
//	srv := &http.Server{Addr: addr, Handler: metered(mux)}
//	go srv.ListenAndServe()
//
//	<-ctx.Done() // shutting down
//	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
//	defer cancel()
//	srv.Shutdown(shutdownCtx)     // finish the requests in flight,
//	tracker.Shutdown(shutdownCtx) // then deliver their usage
//
// With no Tracker the middleware records through drip.DefaultTracker; shut
// it down with drip.Shutdown.
//
// # Modes
//
// RecordAfter (the default) runs the handler first and queues the usage on
// the Tracker once the status is known: the request pays for a queue
// hand-off, not a network round trip, and only responses RecordStatus accepts (by
// default status < 500) are billed. ChargeBefore charges synchronously
// before the handler and fails closed: on a failed charge the handler never
// runs and the client gets the official envelope {"error": …, "code": …}
// with 402 PAYMENT_REQUIRED when Drip asks for payment, 503 CHARGE_FAILED
// when Drip is unreachable (with Retry-After when known) and 500
// CHARGE_FAILED otherwise. Use it for paid APIs that must not serve unpaid
// requests. With a payment recipient (Config.PaymentRecipient or
// DRIP_RECIPIENT_ADDRESS), the 402 is an x402 payment request: the
// X-Payment-* headers of the official middleware, and a PaymentRequest as
// "paymentRequest" in the body, so an x402 client can pay and retry.
//
// # Entitlements
//
// Config.Entitlement gates requests on the customer's Drip entitlement
// before the charge and the handler: a denied request gets 403
// {"error": <Drip's reason>, "code": "ENTITLEMENT_DENIED"} and the handler
// never runs. The feature defaults to the Meter, so the usage the
// middleware records is what the limit counts. In ChargeBefore mode a
// customer Drip blocks (a spending cap reached) gets 403 CUSTOMER_BLOCKED
// with Drip's reason in the same envelope.
//
// # Customers
//
// The customer comes only from Config.CustomerResolver. Before the resolver
// or the handler sees a request, the middleware removes the headers
// X-Drip-Customer-Id and X-Customer-Id and the query parameters
// customer_id, customerid, drip_customer_id and dripcustomerid (in any
// case, percent-encoded or not), as the official middleware does, so a
// caller cannot bill someone else. A resolver error or an empty id answers
// 400 CUSTOMER_RESOLUTION_FAILED: no request is served unmetered by
// accident. Exempt public endpoints with SkipPaths or Skip.
//
// The request context carries the customer (drip.ContextWithCustomer), so
// WrapOpenAI calls made by the handler outside a run bill the same customer,
// and FromContext returns the customer, the run and, in ChargeBefore mode,
// Drip's reply.
//
// # Idempotency
//
// A client's Idempotency-Key header is honoured: a retried request with the
// same key is billed once (Drip reports the replay; in ChargeBefore mode
// Info.Usage.IsDuplicate is true and the handler still runs, as in the
// official Node middleware). The key is hashed with the customer and the
// meter, so tenants cannot collide with or replay each other's keys.
// Without the header every request gets its own key: unlike the official
// Node default, two identical legitimate requests are two requests. The
// middleware deduplicates billing, not execution: the handler runs on every
// attempt (a response cache is the application's business), and with
// StartRun every attempt is a run of its own, the attempts sharing a
// correlation id.
//
// ChargeBefore bills before the handler, so what the handler then answers,
// 5xx included, has been paid for; RecordStatus applies to RecordAfter only.
//
// # Runs
//
// With StartRun, each request opens a run (workflow: Config.Workflow, else
// the slug of the matched route pattern, e.g. "GET /v1/items/{id}" becomes
// "get-v1-items-id", else DefaultWorkflow) and puts it in the request
// context; the run records an http.request event and ends with the
// response: COMPLETED, or FAILED on a 5xx status or a panic. The middleware
// does not recover panics: the run is ended and the panic continues, with
// its stack, to net/http or your recoverer. The route pattern is known up
// front when the middleware wraps an *http.ServeMux or a handler registered
// on one; for other routers, set Workflow (or wrap the routes one by one).
//
// # Other frameworks
//
// echo (v4), one line; handlers that return an error instead of writing it
// are seen as their error status only with the adapter below it:
//
//	e.Use(echo.WrapMiddleware(middleware.New(cfg)))
//
//	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
//		mw := middleware.New(cfg)
//		return func(c echo.Context) (err error) {
//			mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//				c.SetRequest(r)
//				c.Response().Writer = w
//				if err = next(c); err != nil {
//					c.Error(err) // write the error response while metered
//				}
//			})).ServeHTTP(c.Response().Writer, c.Request())
//			return err
//		}
//	})
//
// gin: handlers write to gin's own writer, which the middleware reads the
// status and size back from:
//
//	r.Use(func(mw func(http.Handler) http.Handler) gin.HandlerFunc {
//		return func(c *gin.Context) {
//			next := false
//			mw(http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) {
//				next = true
//				c.Request = req
//				c.Next()
//			})).ServeHTTP(c.Writer, c.Request)
//			if !next {
//				c.Abort() // the middleware answered (error reply)
//			}
//		}
//	}(middleware.New(cfg)))
//
// The response writer the handler gets keeps http.Flusher, http.Hijacker
// and io.ReaderFrom working and unwraps for http.ResponseController, so
// streaming (SSE) and WebSocket upgrades work behind the middleware.
package middleware
