package dashboard

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// window is a choice of the time-range picker.
type window struct {
	Name string
	Dur  time.Duration
	Step time.Duration // the overview's default bucket for it
}

const day = 24 * time.Hour

var windows = []window{
	{"1h", time.Hour, 5 * time.Minute},
	{"24h", day, time.Hour},
	{"7d", 7 * day, time.Hour},
	{"30d", 30 * day, day},
	{"90d", 90 * day, day},
}

func findWindow(name string) (window, bool) {
	for _, w := range windows {
		if w.Name == name {
			return w, true
		}
	}
	return window{}, false
}

// windowNames lists the picker's choices.
func windowNames() []string {
	out := make([]string, len(windows))
	for i, w := range windows {
		out[i] = w.Name
	}
	return out
}

// since is the start of the window named name ending now; zero for "all"
// or an unknown name.
func since(name string, now time.Time) time.Time {
	if w, ok := findWindow(name); ok {
		return now.Add(-w.Dur)
	}
	return time.Time{}
}

// pageNumber reads ?page= (1-based).
func pageNumber(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 {
		return 1
	}
	return min(n, 1_000_000)
}

// pager is the previous/next links of a listing.
type pager struct {
	Page, Pages int
	Total       int
	Prev, Next  string
}

// newPager builds the links of page (1-based) of total rows, per rows a
// page, keeping the request's other parameters.
func newPager(r *http.Request, page, per, total int) pager {
	p := pager{Page: page, Pages: max((total+per-1)/per, 1), Total: total}
	link := func(n int) string {
		q := url.Values{}
		for k, v := range r.URL.Query() {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if page < p.Pages {
		p.Next = link(page + 1)
	}
	return p
}

// hint is what an empty page suggests: how to send this dripd something.
type hint struct {
	BaseURL      string
	KeysRequired bool
}

func (h *Handler) hint(r *http.Request) hint {
	return hint{BaseURL: "http://" + r.Host + "/v1", KeysRequired: h.srv.KeysRequired()}
}
