package pricing

import (
	"cmp"
	"strings"
	"sync"
	"sync/atomic"
)

// Price is a model's list price in US dollars per one million tokens.
// CachedInput prices input tokens served from the provider's prompt cache; 0
// means the provider gives no discount and they cost Input. CacheWrite
// prices input tokens written to the prompt cache (Anthropic charges them
// above Input); 0 means they cost Input. AudioInput prices input tokens of
// audio (OpenAI's transcription and audio models charge them above text);
// 0 means they cost Input.
//
// CacheWrite1h prices input tokens written to a prompt cache kept for an
// hour (Anthropic charges them 2× input); 0 means they cost CacheWrite.
//
// Two prices are not per token: AudioMinute, US dollars per minute of
// input audio for models billed by duration (whisper-1), and WebSearch,
// US dollars per web search the model ran as a server tool (Anthropic's
// web search).
//
// PriorityInput, PriorityCachedInput and PriorityOutput price the tokens
// OpenAI's priority tier serves (Tokens.ServiceTier "priority"), above the
// standard prices; PriorityInput 0 means the table has no priority prices
// for the model and priority tokens cost the standard ones.
type Price struct {
	Input        float64
	CachedInput  float64
	Output       float64
	CacheWrite   float64
	CacheWrite1h float64
	AudioInput   float64
	AudioMinute  float64
	WebSearch    float64

	PriorityInput       float64
	PriorityCachedInput float64
	PriorityOutput      float64
}

// Tokens are one call's counts, as Usage reports them: Input is every
// prompt token, CachedInput, CacheWriteInput and AudioInput the parts of it
// read from and written to the provider's prompt cache and spent on audio;
// CacheWrite1hInput is the part of CacheWriteInput written for an hour.
// AudioSeconds is the input audio of a call billed by duration, WebSearches
// the web searches it ran. ServiceTier is the processing tier the reply
// named: the tokens of "flex" (OpenAI) and "batch" cost half the price,
// those of "priority" (OpenAI) the model's priority prices when the table
// has them; any other tier is priced at the standard price.
type Tokens struct {
	Input             int64
	CachedInput       int64
	CacheWriteInput   int64
	CacheWrite1hInput int64
	AudioInput        int64
	Output            int64
	AudioSeconds      float64
	WebSearches       int64
	ServiceTier       string
}

// perMillion is the token count a Price is quoted for.
const perMillion = 1e6

// Table maps model names to prices. The zero value is not usable; build one
// with New or use Default. A nil *Table behaves as Default().
//
// Reads (Lookup, Cost) take no lock and do not allocate; writes (Set) copy
// the map, so they are for configuration time, not for every call.
type Table struct {
	mu     sync.Mutex // serialises writers
	prices atomic.Pointer[map[string]Price]
}

var defaultTable = New()

// Default returns the process-wide table holding the built-in prices.
// Set on it changes prices for every user of Default; prefer New or With for
// changes local to one integration.
func Default() *Table { return defaultTable }

// New returns a table holding the built-in prices with overrides applied in
// order; a later map wins. Override keys are normalised like model names, so
// "openai/gpt-4o-2024-08-06" overrides "gpt-4o".
func New(overrides ...map[string]Price) *Table {
	m := make(map[string]Price, len(builtin)+8)
	for k, v := range builtin {
		m[k] = v
	}
	for _, o := range overrides {
		for k, v := range o {
			m[normalize(k)] = v
		}
	}
	t := &Table{}
	t.prices.Store(&m)
	return t
}

// Empty returns a table with no prices, for callers who want only their own.
func Empty() *Table {
	m := map[string]Price{}
	t := &Table{}
	t.prices.Store(&m)
	return t
}

// Set adds or replaces the price of model (normalised like a lookup).
func (t *Table) Set(model string, p Price) {
	if t == nil {
		t = defaultTable
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.prices.Load()
	m := make(map[string]Price, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[normalize(model)] = p
	t.prices.Store(&m)
}

// With returns a copy of t with entries added or replaced; t is unchanged.
func (t *Table) With(entries map[string]Price) *Table {
	if t == nil {
		t = defaultTable
	}
	old := *t.prices.Load()
	m := make(map[string]Price, len(old)+len(entries))
	for k, v := range old {
		m[k] = v
	}
	for k, v := range entries {
		m[normalize(k)] = v
	}
	n := &Table{}
	n.prices.Store(&m)
	return n
}

// Lookup returns the price of model: an exact match of the normalised name
// with its date kept (dated snapshots priced differently, such as
// gpt-4o-2024-05-13), else the longest known name that is a prefix of the
// normalised, undated name and ends at a separator. ok is false for an
// unknown model.
func (t *Table) Lookup(model string) (Price, bool) {
	if t == nil {
		t = defaultTable
	}
	m := *t.prices.Load()
	dated := stripPrefix(lower(model))
	if p, ok := m[dated]; ok {
		return p, true
	}
	name := stripDate(dated)
	for i := len(name); i > 0; i-- {
		if i < len(name) && !isSep(name[i]) {
			continue
		}
		if p, ok := m[name[:i]]; ok {
			return p, true
		}
	}
	return Price{}, false
}

// Cost returns the dollar cost of a call. cachedInput is the part of input
// served from cache (OpenAI's prompt_tokens_details.cached_tokens); it is
// priced at CachedInput, the rest of input at Input. ok is false, and usd 0,
// when the model is unknown.
func (t *Table) Cost(model string, input, cachedInput, output int64) (usd float64, ok bool) {
	return t.CostTokens(model, Tokens{Input: input, CachedInput: cachedInput, Output: output})
}

// CostTokens is Cost with cache writes: n.CacheWriteInput, the part of
// n.Input written to the prompt cache, is priced at CacheWrite.
func (t *Table) CostTokens(model string, n Tokens) (usd float64, ok bool) {
	p, ok := t.Lookup(model)
	if !ok {
		return 0, false
	}
	return p.CostTokens(n), true
}

// Cost returns the dollar cost of the given token counts at price p.
func (p Price) Cost(input, cachedInput, output int64) float64 {
	return p.CostTokens(Tokens{Input: input, CachedInput: cachedInput, Output: output})
}

// CostTokens returns the dollar cost of n at price p: cache reads at
// CachedInput, cache writes at CacheWrite (those kept an hour at
// CacheWrite1h), audio at AudioInput (each Input when 0), the rest of the
// input at Input, output at Output, AudioSeconds at AudioMinute and
// WebSearches at WebSearch; the tokens of a flex or batch tier at half,
// those of the priority tier at the Priority prices when p has them. The
// parts of Input are clamped to what Input holds.
func (p Price) CostTokens(n Tokens) float64 {
	input := max(n.Input, 0)
	cached := min(max(n.CachedInput, 0), input)
	written := min(max(n.CacheWriteInput, 0), input-cached)
	hour := min(max(n.CacheWrite1hInput, 0), written)
	audio := min(max(n.AudioInput, 0), input-cached-written)
	in, cachedIn, out := p.Input, cmp.Or(p.CachedInput, p.Input), p.Output
	if n.ServiceTier == "priority" && p.PriorityInput > 0 {
		in, cachedIn, out = p.PriorityInput, cmp.Or(p.PriorityCachedInput, p.PriorityInput), p.PriorityOutput
	}
	writePrice := cmp.Or(p.CacheWrite, in)
	perToken := float64(input-cached-written-audio)*in +
		float64(cached)*cachedIn +
		float64(written-hour)*writePrice +
		float64(hour)*cmp.Or(p.CacheWrite1h, writePrice) +
		float64(audio)*cmp.Or(p.AudioInput, in) +
		float64(n.Output)*out
	if halfPriceTier(n.ServiceTier) {
		perToken /= 2
	}
	return perToken/perMillion + max(n.AudioSeconds, 0)/60*p.AudioMinute + float64(max(n.WebSearches, 0))*p.WebSearch
}

// halfPriceTier reports whether a processing tier's tokens cost half the
// standard price: OpenAI's flex processing and the batch tier (OpenAI's
// and Anthropic's batch APIs) do.
func halfPriceTier(tier string) bool { return tier == "flex" || tier == "batch" }

// Normalize returns the name Lookup matches for model: lower case, without
// provider prefix or date suffix.
func Normalize(model string) string { return normalize(model) }

func normalize(model string) string { return stripDate(stripPrefix(lower(model))) }

// lower is strings.ToLower, which returns s itself (no allocation) when s
// has no upper-case letters — the common case for model names.
func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// stripPrefix drops gateway/provider paths ("openai/", "models/",
// "projects/…/models/") and Bedrock vendor prefixes ("anthropic.",
// "us.anthropic."). Prefix comparisons only: Lookup is on the hot path.
func stripPrefix(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	if rest, ok := cutVendor(s); ok {
		return rest
	}
	if dot := strings.IndexByte(s, '.'); dot > 0 && dot <= 4 { // region: us., eu., apac.
		if rest, ok := cutVendor(s[dot+1:]); ok {
			return rest
		}
	}
	return s
}

func cutVendor(s string) (string, bool) {
	for _, v := range [...]string{"anthropic.", "mistral.", "google.", "openai.", "meta."} {
		if strings.HasPrefix(s, v) {
			return s[len(v):], true
		}
	}
	return s, false
}

// stripDate drops one trailing "-latest", "-YYYY-MM-DD", "-YYYYMMDD" or
// "@YYYYMMDD" (a version suffix such as "-v1:0" may follow the date and goes
// with it).
func stripDate(s string) string {
	if strings.HasSuffix(s, "-latest") {
		return s[:len(s)-len("-latest")]
	}
	// Bedrock: claude-3-5-sonnet-20240620-v1:0 → look at what precedes -vN:N.
	base := s
	if c := strings.LastIndexByte(s, ':'); c > 0 {
		if i := strings.LastIndex(s[:c], "-v"); i > 0 {
			base = s[:i]
		}
	}
	n := len(base)
	// -YYYY-MM-DD
	if n > 11 && base[n-11] == '-' && digits(base[n-10:n-6]) && base[n-6] == '-' &&
		digits(base[n-5:n-3]) && base[n-3] == '-' && digits(base[n-2:]) {
		return base[:n-11]
	}
	// -YYYYMMDD or @YYYYMMDD
	if n > 9 && (base[n-9] == '-' || base[n-9] == '@') && digits(base[n-8:]) && base[n-8] == '2' {
		return base[:n-9]
	}
	return s
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

// isSep reports whether c ends a model-name segment. '.' is not one: a
// prefix "gpt-4" must not price "gpt-4.1" or "gpt-4.5".
func isSep(c byte) bool { return c == '-' || c == ':' || c == '@' || c == '_' }
