package drip

import (
	"context"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// initialConcurrency is where the adaptive limit starts; it grows by one
// per round of successful requests up to WithMaxConcurrentExports.
const initialConcurrency = 4

// concurrency adapts how many export requests are in flight, as TCP does
// its window: additive increase while requests succeed, multiplicative
// decrease on a 429 (honouring Retry-After: nothing new is sent before it)
// and when latency climbs well above the best seen. After a 429 it also
// paces requests (AIMD on the rate). It is shared by the exporter and its
// request goroutines.
type concurrency struct {
	mu         sync.Mutex
	max, cur   float64
	minLat     time.Duration
	ewma       time.Duration
	lastCut    time.Time
	pauseUntil time.Time
	throttled  int64
	rate       *rate.Limiter // the user's cap (WithExportRateLimit); nil: none
	// paced is the rate the exporter gave itself after a 429: a fast API
	// with a quota is over it at any concurrency, so the requests must be
	// spread in time. Halved on each 429, grown by one request/s per second
	// of successes.
	paced  *rate.Limiter
	starts [64]time.Time // recent request starts, to measure the rate
	next   int
}

func newConcurrency(maxInFlight int, perSecond float64, burst int) *concurrency {
	c := &concurrency{max: float64(maxInFlight), cur: float64(min(initialConcurrency, maxInFlight))}
	if perSecond > 0 {
		c.rate = rate.NewLimiter(rate.Limit(perSecond), max(burst, 1))
	}
	return c
}

// limit is how many requests may be in flight now, and until when nothing
// new may start (zero when not paused).
func (c *concurrency) limit() (int, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Now().Before(c.pauseUntil) {
		return int(c.cur), c.pauseUntil
	}
	return int(c.cur), time.Time{}
}

// wait blocks until the client-side rate limits let a request go.
func (c *concurrency) wait(ctx context.Context) error {
	if c.rate != nil {
		if err := c.rate.Wait(ctx); err != nil {
			return err
		}
	}
	c.mu.Lock()
	paced := c.paced
	c.mu.Unlock()
	if paced != nil {
		if err := paced.Wait(ctx); err != nil {
			return err
		}
	}
	c.mu.Lock()
	c.starts[c.next%len(c.starts)] = time.Now()
	c.next++
	c.mu.Unlock()
	return nil
}

// recentRate is the request rate over the last starts (c.mu held).
func (c *concurrency) recentRate() float64 {
	n := min(c.next, len(c.starts))
	if n < 2 {
		return 1
	}
	newest := c.starts[(c.next-1)%len(c.starts)]
	oldest := c.starts[(c.next-n)%len(c.starts)]
	if d := newest.Sub(oldest).Seconds(); d > 0 {
		return float64(n-1) / d
	}
	return 1
}

// latencySlack is how far above the best latency seen the average may
// rise before the limit is cut: loopback jitter is not congestion.
const latencySlack = 50 * time.Millisecond

// observe takes one request's latency and error.
func (c *concurrency) observe(lat time.Duration, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	// One cut per round trip: the requests already in flight were sent
	// under the old limit.
	canCut := now.Sub(c.lastCut) > max(c.ewma, 100*time.Millisecond)
	if e, ok := AsError(err); ok && e.StatusCode == http.StatusTooManyRequests {
		c.throttled++
		if until := now.Add(e.RetryAfter); until.After(c.pauseUntil) {
			c.pauseUntil = until
		}
		if canCut {
			c.cur, c.lastCut = max(1, c.cur/2), now
			r := rate.Limit(max(1, c.recentRate()/2))
			if c.paced == nil {
				c.paced = rate.NewLimiter(r, 1)
			} else if r < c.paced.Limit() {
				c.paced.SetLimit(r)
			}
		}
		return
	}
	if err != nil {
		return // a failure says nothing about capacity
	}
	if c.minLat == 0 || lat < c.minLat {
		c.minLat = lat
	}
	if c.ewma == 0 {
		c.ewma = lat
	} else {
		c.ewma += (lat - c.ewma) / 5
	}
	if c.ewma > 2*c.minLat && c.ewma > c.minLat+latencySlack {
		if canCut {
			c.cur, c.lastCut = max(1, c.cur*0.8), now
		}
		return
	}
	c.cur = min(c.max, c.cur+1/c.cur)
	if c.paced != nil {
		r := c.paced.Limit()
		c.paced.SetLimit(r + 1/r)
	}
}

// stats returns the current limit and how many 429s were seen.
func (c *concurrency) stats() (int, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return int(c.cur), c.throttled
}
