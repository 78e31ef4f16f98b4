package drip

import "time"

// SetBreakerClock lets tests of package drip_test move the circuit
// breaker's clock instead of sleeping through its cooldown.
func SetBreakerClock(c *Client, now func() time.Time) { c.breaker.now = now }
