package dashboard_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
)

// These tests drive the dashboard in a real headless Chromium. Locally
// they skip when no Chromium is installed; in CI (CI=true) that fails.
// Screenshots go to a temporary directory, or to DRIP_SCREENSHOT_DIR when
// it is set (to keep them as artifacts); DRIP_UPDATE_SCREENSHOT=1 rewrites
// docs/run-timeline.png from the run page.

// chromium finds a Chromium binary.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH: CI must install Debian's chromium package")
	}
	t.Skip("no chromium on PATH; install it to run the browser tests")
	return ""
}

// browser starts a headless Chromium for the test and returns a tab's
// context, bounded by an overall deadline.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelDeadline := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelDeadline(); cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser and the tab
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// do runs steps in order.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// get runs an action and returns its value.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// css is a CSS selector for the first match.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// screenshot saves the page as a PNG under dir and logs its path.
func screenshot(t *testing.T, ctx context.Context, dir, name string) string {
	t.Helper()
	if d := os.Getenv("DRIP_SCREENSHOT_DIR"); d != "" {
		dir = d
	}
	png := get(t, ctx, chromedp.FullScreenshot(100))
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

type timelineRow struct {
	Type   string `json:"type"`
	Label  string `json:"label"`
	Depth  int    `json:"depth"`
	In     string `json:"in"`
	Out    string `json:"out"`
	Cost   string `json:"cost"`
	Failed bool   `json:"failed"`
}

const readTimeline = `Array.from(document.querySelectorAll('#timeline .wf-row[data-event-id]')).map(r => ({
	type: r.dataset.eventType,
	label: (r.querySelector('.model') || {textContent: ''}).textContent.trim(),
	depth: Number(r.dataset.depth),
	in: r.querySelector('.tokens-in').textContent.trim(),
	out: r.querySelector('.tokens-out').textContent.trim(),
	cost: r.querySelector('.cost').textContent.trim(),
	failed: r.classList.contains('failed'),
}))`

func TestBrowser(t *testing.T) {
	ctx := browser(t)
	shots := t.TempDir()
	e := newEnv(t)
	rec := record(t, e)
	origin := e.inst.URL()

	t.Run("runs page, then a run's timeline", func(t *testing.T) {
		link := css(`tr[data-run-id="` + rec.runID + `"] a.mono`)
		do(t, ctx, chromedp.Navigate(origin+"/runs"), chromedp.WaitVisible(link))
		href := get(t, ctx, chromedp.AttributeValue(link, "href")).Value
		screenshot(t, ctx, shots, "runs.png")
		do(t, ctx, chromedp.Click(link), chromedp.WaitVisible(css(`#timeline`)))
		loc := get(t, ctx, chromedp.Location())
		rows := get(t, ctx, chromedp.Evaluate[[]timelineRow](readTimeline))
		inTok := get(t, ctx, chromedp.Text(css(`#run-input-tokens`)))
		outTok := get(t, ctx, chromedp.Text(css(`#run-output-tokens`)))
		cost := get(t, ctx, chromedp.Text(css(`#run-cost`)))
		events := get(t, ctx, chromedp.Text(css(`#run-events`)))
		if loc != origin+"/runs/"+rec.runID || href != "/runs/"+rec.runID {
			t.Fatalf("opened %s (link %s), want the run page of %s", loc, href, rec.runID)
		}
		if len(rows) != len(rec.events) {
			t.Fatalf("timeline shows %d events, want %d: %+v", len(rows), len(rec.events), rows)
		}
		for i, w := range rec.events {
			got := rows[i]
			want := timelineRow{Type: w.typ, Label: w.label, Depth: w.depth, In: w.in, Out: w.out, Cost: w.cost, Failed: w.failed}
			if got != want {
				t.Errorf("timeline row %d = %+v, want %+v", i, got, want)
			}
		}
		if inTok != "3,800" || outTok != "870" || cost != "$0.004382" || events != "6" {
			t.Errorf("run totals: in %s out %s cost %s events %s", inTok, outTok, cost, events)
		}
		path := screenshot(t, ctx, shots, "run.png")
		if os.Getenv("DRIP_UPDATE_SCREENSHOT") == "1" {
			png, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("..", "..", "docs", "run-timeline.png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Log("updated docs/run-timeline.png")
		}
	})

	t.Run("overview totals equal what was recorded", func(t *testing.T) {
		want := map[string]string{
			"total-runs": "2", "total-events": fmt.Sprint(rec.eventCount),
			"total-input-tokens": "3,800", "total-output-tokens": "870",
			"total-cost": "$0.004382", "total-usage": fmt.Sprint(rec.usageRecords), "error-rate": "50.0%",
		}
		do(t, ctx, chromedp.Navigate(origin+"/"), chromedp.WaitVisible(css(`#total-runs`)))
		for id, w := range want {
			if got := get(t, ctx, chromedp.Text(css("#"+id))); got != w {
				t.Errorf("overview %s = %q, want %q", id, got, w)
			}
		}
		charts := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('svg.chart rect').length`))
		if charts == 0 {
			t.Error("the overview draws no chart bars")
		}
		screenshot(t, ctx, shots, "overview.png")
	})

	t.Run("live page shows an event emitted after it loaded", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(origin+"/live"), chromedp.WaitVisible(css(`#live-status.ok`))) // the stream is open
		res, err := e.client.EmitEvent(context.Background(), drip.Event{RunID: rec.runID, Type: drip.EventToolCall,
			Name: "live_probe", Duration: 40 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		row := css(`#live-feed li[data-id="` + res.ID + `"]`)
		do(t, ctx, chromedp.WaitVisible(row))
		text := get(t, ctx, chromedp.Text(row))
		if !strings.Contains(text, "tool.call") || !strings.Contains(text, "live_probe") || !strings.Contains(text, rec.runID) {
			t.Errorf("live row %q", text)
		}
		screenshot(t, ctx, shots, "live.png")
	})

	t.Run("customer page shows subscriptions and contracts", func(t *testing.T) {
		p := recordPlans(t, e)
		sub := `#subscriptions tr[data-subscription-id="` + p.sub.ID + `"] `
		ct := `#contracts tr[data-contract-id="` + p.contract.ID + `"] `
		do(t, ctx, chromedp.Navigate(origin+"/customers/"+p.customer), chromedp.WaitVisible(css(sub+`.sub-price`)))
		for sel, want := range map[string]string{
			sub + `.sub-status`: "ACTIVE", sub + `.sub-price`: "29.990000 USDC / month",
			ct + `.ct-status`: "ACTIVE", ct + `.ct-discount`: "15%", ct + `.ct-overrides`: "tokens: 0.000002 USDC / unit",
			`#balance`: "70.010000 USDC",
		} {
			if got := strings.TrimSpace(get(t, ctx, chromedp.Text(css(sel)))); got != want {
				t.Errorf("%s = %q, want %q", sel, got, want)
			}
		}
		screenshot(t, ctx, shots, "customer.png")
	})

	t.Run("phone width", func(t *testing.T) {
		do(t, ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(origin+"/runs/"+rec.runID),
			chromedp.WaitVisible(css(`#timeline`)))
		overflow := get(t, ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
		screenshot(t, ctx, shots, "run-phone.png")
		if overflow {
			t.Error("the run page scrolls sideways at phone width")
		}
		do(t, ctx, chromedp.EmulateViewport(1280, 900))
	})
}

func TestBrowserLoginGate(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t, dripserver.WithAPIKeys(testKey))
	rec := record(t, e)
	origin := e.inst.URL()

	do(t, ctx, chromedp.Navigate(origin+"/runs/"+rec.runID), chromedp.WaitVisible(css(`#key`)))
	loc := get(t, ctx, chromedp.Location())
	if !strings.HasPrefix(loc, origin+"/login") {
		t.Fatalf("without a session the run page went to %s, want the login form", loc)
	}
	do(t, ctx, chromedp.SendKeys(css(`#key`), "sk_test_wrong_key_000000"), chromedp.Click(css(`#login-submit`)),
		chromedp.WaitVisible(css(`#login-error`)))
	errText := get(t, ctx, chromedp.Text(css(`#login-error`)))
	if !strings.Contains(errText, "not one of") {
		t.Fatalf("wrong key: %q", errText)
	}
	do(t, ctx, chromedp.SendKeys(css(`#key`), testKey), chromedp.Click(css(`#login-submit`)),
		chromedp.WaitVisible(css(`#timeline`)))
	loc = get(t, ctx, chromedp.Location())
	cookies := get(t, ctx, chromedp.Evaluate[string](`document.cookie`))
	html := get(t, ctx, chromedp.OuterHTML(css(`html`)))
	if loc != origin+"/runs/"+rec.runID {
		t.Fatalf("after login: %s, want back on the run page", loc)
	}
	if cookies != "" {
		t.Errorf("scripts can read cookies %q: the session cookie must be HttpOnly", cookies)
	}
	if strings.Contains(html, testKey) {
		t.Error("the page renders the API key")
	}
	screenshot(t, ctx, t.TempDir(), "after-login.png")
}
