// Package textutil holds the small string helpers the SDK's packages share,
// so each rule exists once.
package textutil

// Truncate cuts s to at most n runes, never splitting a rune.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
