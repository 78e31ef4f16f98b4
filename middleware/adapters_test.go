package middleware_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/drip-sdk/drip-go/middleware"
)

// The echo adapters documented in doc.go, verbatim.
func TestEchoAdapters(t *testing.T) {
	e := newEnv(t)
	cfg := middleware.Config{Meter: "api_calls", CustomerResolver: resolveTenant, Tracker: e.tracker, StartRun: true, Workflow: "echo-api"}

	routes := func(app *echo.Echo) {
		app.GET("/ok", func(c echo.Context) error {
			if info := middleware.FromContext(c.Request().Context()); info == nil || info.CustomerID == "" {
				t.Error("handler has no middleware.Info")
			}
			return c.String(http.StatusOK, "ok")
		})
		app.GET("/err", func(c echo.Context) error {
			return echo.NewHTTPError(http.StatusInternalServerError, "boom")
		})
	}

	t.Run("one line", func(t *testing.T) {
		app := echo.New()
		app.Use(echo.WrapMiddleware(middleware.New(cfg)))
		routes(app)
		url := serve(t, app)
		if r := do(t, "GET", url+"/ok", "tok-acme"); r.status != 200 || r.body != "ok" {
			t.Fatalf("reply = %+v", r)
		}
		if r := do(t, "GET", url+"/ok", "tok-acme", "X-Customer-Id: globex"); r.status != 200 {
			t.Fatalf("reply = %+v", r)
		}
		if r := do(t, "GET", url+"/ok", ""); r.status != 400 || !strings.Contains(r.body, "CUSTOMER_RESOLUTION_FAILED") {
			t.Fatalf("unauthenticated reply = %+v", r)
		}
		e.flush(t)
		if n, m := len(e.usageFor("acme")), len(e.usageFor("globex")); n != 2 || m != 0 {
			t.Fatalf("usage acme=%d globex=%d, want 2 and 0", n, m)
		}
	})

	t.Run("error-aware adapter", func(t *testing.T) {
		app := echo.New()
		app.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
			mw := middleware.New(cfg)
			return func(c echo.Context) (err error) {
				mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					c.SetRequest(r)
					c.Response().Writer = w
					if err = next(c); err != nil {
						c.Error(err) // write the error response while metered
					}
				})).ServeHTTP(c.Response().Writer, c.Request())
				return err
			}
		})
		routes(app)
		url := serve(t, app)
		if r := do(t, "GET", url+"/err", "tok-globex"); r.status != 500 {
			t.Fatalf("reply = %+v", r)
		}
		if r := do(t, "GET", url+"/ok", "tok-globex"); r.status != 200 {
			t.Fatalf("reply = %+v", r)
		}
		e.flush(t)
		// The returned error was seen as a 500: not billed, run FAILED.
		if recs := e.usageFor("globex"); len(recs) != 1 || recs[0].Metadata["status"] != float64(200) {
			t.Fatalf("globex usage = %+v, want only the 200", recs)
		}
		failed := 0
		for _, r := range e.drip.Runs() {
			if r.CustomerID == e.ids["globex"] && r.Status == "FAILED" && r.ErrorCode == "HTTP_500" {
				failed++
			}
		}
		if failed != 1 {
			t.Errorf("%d failed globex runs, want 1", failed)
		}
	})
}

// A gin-shaped writer: the framework's handlers write to it directly, not
// through the middleware's writer, and it reports what was written.
type frameworkWriter struct {
	http.ResponseWriter
	status, size int
}

func (w *frameworkWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }
func (w *frameworkWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	n, err := w.ResponseWriter.Write(b)
	w.size += n
	return n, err
}
func (w *frameworkWriter) Status() int   { return w.status }
func (w *frameworkWriter) Size() int     { return w.size }
func (w *frameworkWriter) Written() bool { return w.status != 0 }

// The gin adapter of doc.go, with gin's Context reduced to what it uses:
// handlers write to the framework's writer, which the middleware reads back.
func TestGinShapedAdapter(t *testing.T) {
	e := newEnv(t)
	mw := middleware.New(middleware.Config{Meter: "api_calls", CustomerResolver: resolveTenant, Tracker: e.tracker})
	var reqCustomer atomic.Value
	frameworkHandler := func(fw *frameworkWriter, r *http.Request) {
		reqCustomer.Store(middleware.FromContext(r.Context()).CustomerID)
		fw.WriteHeader(http.StatusTeapot)
		_, _ = fw.Write([]byte("short and stout"))
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fw := &frameworkWriter{ResponseWriter: w} // gin's c.Writer
		mw(http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) {
			frameworkHandler(fw, req) // c.Request = req; c.Next()
		})).ServeHTTP(fw, r)
	})
	url := serve(t, app)
	if r := do(t, "GET", url+"/tea", "tok-acme"); r.status != http.StatusTeapot {
		t.Fatalf("reply = %+v", r)
	}
	e.flush(t)
	recs := e.usageFor("acme")
	if reqCustomer.Load() != "acme" || len(recs) != 1 || recs[0].Metadata["status"] != float64(http.StatusTeapot) {
		t.Fatalf("customer %v, usage %+v: want one record with status 418", reqCustomer.Load(), recs)
	}
}
