package dashboard

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
)

const perPage = 50

// anything reports whether the store holds any run or usage record, to
// choose between "nothing yet" and "nothing matches".
func (h *Handler) anything(ctx context.Context) (bool, error) {
	_, runs, err := h.store.QueryRuns(ctx, dripserver.RunQuery{Limit: 1})
	if err != nil || runs > 0 {
		return runs > 0, err
	}
	_, usage, err := h.store.QueryUsage(ctx, dripserver.UsageQuery{Limit: 1})
	return usage > 0, err
}

type overviewPage struct {
	Range, Bucket  string
	Ranges         []string
	O              dripserver.Overview
	Charts         []chart
	Empty, Nothing bool // nothing in the window; nothing at all
	Hint           hint
	CustomerName   map[string]string
}

func (h *Handler) overview(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	win, ok := findWindow(q.Get("range"))
	if !ok {
		win, _ = findWindow("24h")
	}
	step := win.Step
	bucket := q.Get("bucket")
	switch bucket {
	case "hour":
		step = time.Hour
	case "day":
		step = day
	default:
		bucket = ""
	}
	now := h.now().UTC()
	to := now.Truncate(step).Add(step)
	from := to.Add(-win.Dur).Truncate(step)
	o, err := h.store.Overview(r.Context(), dripserver.OverviewQuery{From: from, To: to, Bucket: step})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := overviewPage{Range: win.Name, Bucket: bucket, Ranges: windowNames(), O: o, Hint: h.hint(r),
		CustomerName: o.CustomerDisplay}
	p.Empty = o.Events == 0 && o.Runs == 0 && o.UsageRecords == 0
	if p.Empty {
		any, err := h.anything(r.Context())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		p.Nothing = !any
	}
	model := func(k string) string {
		if k == "" {
			return "(no model)"
		}
		return k
	}
	customer := func(k string) string {
		if ext := o.CustomerDisplay[k]; ext != "" {
			return ext
		}
		return k
	}
	plain := func(k string) string { return k }
	tokens := append(keyed(o.InputTokensAt, "input"), keyed(o.OutputTokensAt, "output")...)
	p.Charts = []chart{
		stackedBars("Cost by model", o.CostByModel, from, to, step, model, formatUSD),
		stackedBars("Tokens in / out", tokens, from, to, step, plain, compactQty),
		stackedBars("Tokens by model", o.TokensByModel, from, to, step, model, compactQty),
		stackedBars("Usage by meter", o.UsageByMeter, from, to, step, plain, compactQty),
		stackedBars("Cost by customer", o.CostByCustomer, from, to, step, customer, formatUSD),
	}
	h.render(w, r, http.StatusOK, "overview", p)
}

// keyed gives points a key, for series drawn together.
func keyed(ps []dripserver.Point, key string) []dripserver.Point {
	out := make([]dripserver.Point, len(ps))
	for i, p := range ps {
		p.Key = key
		out[i] = p
	}
	return out
}

var runStatuses = []string{dripserver.StatusRunning, dripserver.StatusCompleted, dripserver.StatusFailed,
	dripserver.StatusCancelled, dripserver.StatusTimeout, dripserver.StatusPending}

type runsPage struct {
	Customer, Workflow, Status, Range string
	Workflows                         []dripserver.Workflow
	Statuses, Ranges                  []string
	Rows                              []dripserver.RunRow
	Pager                             pager
	Filtered, Nothing                 bool
	Hint                              hint
}

func (h *Handler) runs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := runsPage{Customer: q.Get("customer"), Workflow: q.Get("workflow"), Status: q.Get("status"),
		Range: q.Get("range"), Statuses: runStatuses, Ranges: windowNames(), Hint: h.hint(r)}
	if !slices.Contains(runStatuses, p.Status) {
		p.Status = ""
	}
	if _, ok := findWindow(p.Range); !ok {
		p.Range = ""
	}
	p.Filtered = p.Customer != "" || p.Workflow != "" || p.Status != "" || p.Range != ""
	page := pageNumber(r)
	rows, total, err := h.store.QueryRuns(r.Context(), dripserver.RunQuery{Customer: p.Customer, Workflow: p.Workflow,
		Status: p.Status, From: since(p.Range, h.now()), Limit: perPage, Offset: (page - 1) * perPage})
	if err == nil {
		p.Workflows, err = h.store.Workflows(r.Context())
	}
	if err == nil && total == 0 {
		var any bool
		any, err = h.anything(r.Context())
		p.Nothing = !any
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p.Rows, p.Pager = rows, newPager(r, page, perPage, total)
	h.render(w, r, http.StatusOK, "runs", p)
}

// maxTimelineEvents is how many events a run page draws.
const maxTimelineEvents = 2000

type runPage struct {
	Run                       dripserver.Run
	ExternalCustomerID        string
	Rows                      []waterfallRow
	Span                      time.Duration
	More                      bool
	InputTokens, OutputTokens int64
	Cost                      float64
	Failed                    int
	Ticks                     []tick
}

// tick is a time mark above the waterfall.
type tick struct {
	X     float64 // 0–100 (percent)
	Label string
}

func (h *Handler) run(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	run, ok, err := h.store.Run(ctx, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !ok {
		h.notFound(w, r)
		return
	}
	events, more, err := h.store.RunEvents(ctx, run.ID, maxTimelineEvents)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := runPage{Run: run, More: more}
	if acct, ok, err := h.store.Account(ctx, run.CustomerID, h.now()); err == nil && ok {
		p.ExternalCustomerID = acct.ExternalCustomerID
	}
	p.Rows, p.Span = waterfall(run, events)
	for _, row := range p.Rows {
		p.InputTokens += row.InputTokens
		p.OutputTokens += row.OutputTokens
		p.Cost += row.Cost
		if row.Failed {
			p.Failed++
		}
	}
	for i := range 5 {
		p.Ticks = append(p.Ticks, tick{X: float64(i) * 25, Label: formatDuration(p.Span * time.Duration(i) / 4)})
	}
	h.render(w, r, http.StatusOK, "run", p)
}

type customersPage struct {
	Rows  []dripserver.CustomerRow
	Pager pager
	Hint  hint
}

func (h *Handler) customers(w http.ResponseWriter, r *http.Request) {
	page := pageNumber(r)
	rows, total, err := h.store.QueryCustomers(r.Context(), perPage, (page-1)*perPage)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "customers", customersPage{Rows: rows, Pager: newPager(r, page, perPage, total),
		Hint: h.hint(r)})
}

// maxPlans is how many subscriptions and contracts a customer page lists.
const maxPlans = 20

type customerPage struct {
	A              dripserver.CustomerAccount
	Subs           []dripserver.SubscriptionView
	SubsTotal      int
	Contracts      []dripserver.ContractView
	ContractsTotal int
	Runs           []dripserver.RunRow
	RunsTotal      int
	Usage          []dripserver.UsageRow
	UsageTotal     int
}

func (h *Handler) customer(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, ok, err := h.store.Account(ctx, r.PathValue("id"), h.now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !ok {
		h.notFound(w, r)
		return
	}
	p := customerPage{A: a}
	now := h.now()
	// Stored state: a page view does not renew (and so charge)
	// subscriptions; a renewal that is due is marked instead.
	p.Subs, p.SubsTotal, err = h.store.CustomerSubscriptions(ctx, a.ID, maxPlans, now)
	if err == nil {
		p.Contracts, p.ContractsTotal, err = h.store.CustomerContracts(ctx, a.ID, maxPlans, now)
	}
	if err == nil {
		p.Runs, p.RunsTotal, err = h.store.QueryRuns(ctx, dripserver.RunQuery{Customer: a.ID, Limit: 20})
	}
	if err == nil {
		p.Usage, p.UsageTotal, err = h.store.QueryUsage(ctx, dripserver.UsageQuery{Customer: a.ID, Limit: 50})
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "customer", p)
}

type usagePage struct {
	Customer, Type, Range string
	Ranges                []string
	Rows                  []dripserver.UsageRow
	Pager                 pager
	Filtered, Nothing     bool
	Hint                  hint
}

func (h *Handler) usage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := usagePage{Customer: q.Get("customer"), Type: q.Get("type"), Range: q.Get("range"), Ranges: windowNames(),
		Hint: h.hint(r)}
	if _, ok := findWindow(p.Range); !ok {
		p.Range = ""
	}
	p.Filtered = p.Customer != "" || p.Type != "" || p.Range != ""
	page := pageNumber(r)
	rows, total, err := h.store.QueryUsage(r.Context(), dripserver.UsageQuery{Customer: p.Customer, UsageType: p.Type,
		From: since(p.Range, h.now()), Limit: perPage, Offset: (page - 1) * perPage})
	if err == nil && total == 0 {
		var any bool
		any, err = h.anything(r.Context())
		p.Nothing = !any
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p.Rows, p.Pager = rows, newPager(r, page, perPage, total)
	h.render(w, r, http.StatusOK, "usage", p)
}

func (h *Handler) webhooks(w http.ResponseWriter, r *http.Request) {
	rows, err := h.store.RecentDeliveries(r.Context(), 100)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "webhooks", rows)
}

func (h *Handler) live(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "live", h.hint(r))
}
