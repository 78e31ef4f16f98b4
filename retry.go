package drip

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// RetryPolicy says how a call is retried and when the circuit breaker opens.
// Only failures that cannot double-count are retried: every write carries
// an idempotency key that all attempts share.
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt.
	MaxRetries int
	// BaseDelay and MaxDelay bound exponential backoff with full jitter:
	// the wait before retry n is uniform in [0, min(MaxDelay, BaseDelay·2ⁿ)].
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxRetryAfter caps how long a server-sent Retry-After is honoured.
	MaxRetryAfter time.Duration
	// BreakerThreshold is how many consecutive failed calls (5xx, network,
	// timeout; never 4xx) open the breaker. Negative disables the breaker.
	BreakerThreshold int
	// BreakerCooldown is the longest the breaker stays open before one
	// probe call is let through. The first open period is
	// BreakerFirstCooldown (or BreakerCooldown, if shorter) and doubles with
	// each failed probe up to BreakerCooldown: an API back after a restart
	// is probed within about a second, a dead one at most once per
	// BreakerCooldown.
	BreakerCooldown time.Duration
}

// Default retry policy values.
const (
	DefaultMaxRetries       = 3
	DefaultBaseDelay        = 100 * time.Millisecond
	DefaultMaxDelay         = 10 * time.Second
	DefaultMaxRetryAfter    = 60 * time.Second
	DefaultBreakerThreshold = 5
	DefaultBreakerCooldown  = 30 * time.Second
	// BreakerFirstCooldown is the open period after the breaker first
	// opens; see RetryPolicy.BreakerCooldown.
	BreakerFirstCooldown = time.Second
)

// DefaultRetryPolicy returns the policy New uses: 3 retries, 100 ms base,
// 10 s max, Retry-After honoured up to 60 s, breaker after 5 consecutive
// failed calls, open for 1 s, then 2 s, 4 s… up to 30 s while probes fail.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxRetries:       DefaultMaxRetries,
		BaseDelay:        DefaultBaseDelay,
		MaxDelay:         DefaultMaxDelay,
		MaxRetryAfter:    DefaultMaxRetryAfter,
		BreakerThreshold: DefaultBreakerThreshold,
		BreakerCooldown:  DefaultBreakerCooldown,
	}
}

func (p RetryPolicy) backoff(retry int, retryAfter time.Duration) time.Duration {
	ceil := p.BaseDelay << min(retry, 30)
	if ceil <= 0 || ceil > p.MaxDelay {
		ceil = p.MaxDelay
	}
	var d time.Duration
	if ceil > 0 {
		d = rand.N(ceil + 1)
	}
	if retryAfter > 0 {
		if p.MaxRetryAfter > 0 && retryAfter > p.MaxRetryAfter {
			retryAfter = p.MaxRetryAfter
		}
		d = max(d, retryAfter)
	}
	return d
}

func retryableStatus(s int) bool {
	switch s {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// breakerFailure says whether a final error counts against the breaker:
// only the API being unreachable or broken does, never a caller's 4xx.
func breakerFailure(e *Error) bool {
	return e.StatusCode >= 500 || e.StatusCode == 0 && (e.Code == CodeNetwork || e.Code == CodeTimeout)
}

type breakerState int

const (
	breakerClosed breakerState = iota
	breakerOpen
	breakerHalfOpen
)

func (s breakerState) String() string {
	return [...]string{"closed", "open", "half_open"}[s]
}

// breaker is a consecutive-failure circuit breaker with a single half-open
// probe. Its open period starts at BreakerFirstCooldown and doubles per
// failed probe up to cooldown, and is reset by a success.
type breaker struct {
	threshold int
	cooldown  time.Duration // the longest open period
	now       func() time.Time

	mu       sync.Mutex
	state    breakerState
	failures int
	openedAt time.Time
	wait     time.Duration // the current open period
	probing  bool
}

// allow reports whether a call may go out; when not, it returns how long
// until a probe is allowed.
func (b *breaker) allow() (bool, time.Duration) {
	if b == nil {
		return true, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case breakerOpen:
		wait := b.wait - b.now().Sub(b.openedAt)
		if wait > 0 {
			return false, wait
		}
		b.state = breakerHalfOpen
		b.probing = true
		return true, 0
	case breakerHalfOpen:
		if b.probing {
			return false, b.wait / 10
		}
		b.probing = true
		return true, 0
	}
	return true, 0
}

// record returns the state transition it caused, if any.
func (b *breaker) record(failed bool) (from, to breakerState, changed bool) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	from = b.state
	b.probing = false
	if !failed {
		b.failures = 0
		b.state = breakerClosed
		b.wait = 0
	} else {
		b.failures++
		if b.state == breakerHalfOpen || b.failures >= b.threshold {
			if b.state == breakerHalfOpen {
				b.wait = min(2*b.wait, b.cooldown)
			} else if b.state == breakerClosed {
				b.wait = min(BreakerFirstCooldown, b.cooldown)
			}
			b.state = breakerOpen
			b.openedAt = b.now()
		}
	}
	return from, b.state, from != b.state
}

// release ends a probe that neither failed nor succeeded (e.g. a 4xx).
func (b *breaker) release() {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.probing = false
	if b.state == breakerHalfOpen {
		b.state = breakerClosed
		b.failures = 0
	}
	b.mu.Unlock()
}
