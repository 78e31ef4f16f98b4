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
// and when latency climbs well above the best seen. It is shared by the
// exporter and its request goroutines.
type concurrency struct {
	mu         sync.Mutex
	max, cur   float64
	minLat     time.Duration
	ewma       time.Duration
	lastCut    time.Time
	pauseUntil time.Time
	throttled  int64
	rate       *rate.Limiter // nil: no client-side rate limit
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

// wait blocks until the client-side rate limit lets a request go.
func (c *concurrency) wait(ctx context.Context) error {
	if c.rate == nil {
		return nil
	}
	return c.rate.Wait(ctx)
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
}

// stats returns the current limit and how many 429s were seen.
func (c *concurrency) stats() (int, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return int(c.cur), c.throttled
}
