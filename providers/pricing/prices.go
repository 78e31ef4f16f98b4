package pricing

// builtin holds list prices in USD per 1M tokens (input, cached input,
// output, cache write). CachedInput 0 means "no discounted cache price":
// cached tokens are then priced as input; CacheWrite 0 likewise prices cache
// writes as input. Keys are normalised names (lower case, no provider
// prefix, no date suffix); a key matches every model name it is a prefix of
// up to a separator ('-', ':', '@', '_'), longest key first.
//
// Tiered prices (Gemini above 128k/200k context, Anthropic long context)
// are priced at the standard, smallest tier; the flex and batch tiers at
// half of it, and OpenAI's priority tier at the priority prices its
// processing page lists for the models that offer it (Tokens.ServiceTier;
// a long prompt OpenAI serves at the standard tier names that tier).
// Image-generation models are priced by their token rates; per-image prices
// (dall-e) are not token prices and are left out, so they report no cost.
// Audio output tokens (gpt-4o-audio-preview's spoken replies) are priced as
// text output. OpenAI bills prompt-cache writes (cache_write_tokens) at
// 1.25× input from the GPT-5.6 models on, which this table predates: give
// those models a CacheWrite price with Set or With. OpenAI's web search
// tool has no WebSearch price here: its per-call price depends on the tool
// version and the model.
//
// A model released later that shares a listed prefix (a new gpt-5-* variant)
// is priced as that prefix; extend the table with Set or With when prices
// differ.
//
// Prices as published on 2025-11-24
var builtin = map[string]Price{
	// OpenAI — https://openai.com/api/pricing
	"gpt-5":                        {Input: 1.25, CachedInput: 0.125, Output: 10, PriorityInput: 2.50, PriorityCachedInput: 0.25, PriorityOutput: 20},
	"gpt-5-mini":                   {Input: 0.25, CachedInput: 0.025, Output: 2, PriorityInput: 0.45, PriorityCachedInput: 0.045, PriorityOutput: 3.60},
	"gpt-5-pro":                    {Input: 15, Output: 120},
	"gpt-5.1":                      {Input: 1.25, CachedInput: 0.125, Output: 10, PriorityInput: 2.50, PriorityCachedInput: 0.25, PriorityOutput: 20},
	"gpt-5-nano":                   {Input: 0.05, CachedInput: 0.005, Output: 0.40},
	"gpt-4.1":                      {Input: 2, CachedInput: 0.50, Output: 8, PriorityInput: 3.50, PriorityCachedInput: 0.875, PriorityOutput: 14},
	"gpt-4.1-mini":                 {Input: 0.40, CachedInput: 0.10, Output: 1.60, PriorityInput: 0.70, PriorityCachedInput: 0.175, PriorityOutput: 2.80},
	"gpt-4.1-nano":                 {Input: 0.10, CachedInput: 0.025, Output: 0.40, PriorityInput: 0.20, PriorityCachedInput: 0.05, PriorityOutput: 0.80},
	"gpt-4.5-preview":              {Input: 75, CachedInput: 37.50, Output: 150},
	"gpt-4o":                       {Input: 2.50, CachedInput: 1.25, Output: 10, PriorityInput: 4.25, PriorityCachedInput: 2.125, PriorityOutput: 17},
	"gpt-4o-2024-05-13":            {Input: 5, Output: 15, PriorityInput: 8.75, PriorityOutput: 26.25},
	"gpt-4o-mini":                  {Input: 0.15, CachedInput: 0.075, Output: 0.60, PriorityInput: 0.25, PriorityCachedInput: 0.125, PriorityOutput: 1},
	"gpt-4o-realtime-preview":      {Input: 5, CachedInput: 2.50, Output: 20},
	"gpt-4o-mini-realtime-preview": {Input: 0.60, CachedInput: 0.30, Output: 2.40},
	"gpt-4o-audio-preview":         {Input: 2.50, AudioInput: 40, Output: 10},
	"gpt-4o-mini-audio-preview":    {Input: 0.15, AudioInput: 10, Output: 0.60},
	"gpt-4o-transcribe":            {Input: 2.50, AudioInput: 6, Output: 10},
	"gpt-4o-transcribe-diarize":    {Input: 2.50, AudioInput: 6, Output: 10},
	"gpt-4o-mini-transcribe":       {Input: 1.25, AudioInput: 3, Output: 5},
	"whisper-1":                    {AudioMinute: 0.006}, // billed by the minute of audio
	"gpt-4o-search-preview":        {Input: 2.50, Output: 10},
	"gpt-4o-mini-search-preview":   {Input: 0.15, Output: 0.60},
	"chatgpt-4o":                   {Input: 5, Output: 15},
	"o1":                           {Input: 15, CachedInput: 7.50, Output: 60},
	"o1-preview":                   {Input: 15, CachedInput: 7.50, Output: 60},
	"o1-mini":                      {Input: 1.10, CachedInput: 0.55, Output: 4.40},
	"o1-pro":                       {Input: 150, Output: 600},
	"o3":                           {Input: 2, CachedInput: 0.50, Output: 8, PriorityInput: 3.50, PriorityCachedInput: 0.875, PriorityOutput: 14},
	"o3-pro":                       {Input: 20, Output: 80},
	"o3-mini":                      {Input: 1.10, CachedInput: 0.55, Output: 4.40},
	"o3-deep-research":             {Input: 10, CachedInput: 2.50, Output: 40},
	"o4-mini":                      {Input: 1.10, CachedInput: 0.275, Output: 4.40, PriorityInput: 2, PriorityCachedInput: 0.50, PriorityOutput: 8},
	"o4-mini-deep-research":        {Input: 2, CachedInput: 0.50, Output: 8},
	"gpt-4-turbo":                  {Input: 10, Output: 30},
	"gpt-4-1106":                   {Input: 10, Output: 30}, // gpt-4-1106-preview
	"gpt-4-0125":                   {Input: 10, Output: 30}, // gpt-4-0125-preview
	"gpt-4-vision-preview":         {Input: 10, Output: 30},
	"gpt-4":                        {Input: 30, Output: 60},
	"gpt-4-32k":                    {Input: 60, Output: 120},
	"gpt-3.5-turbo":                {Input: 0.50, Output: 1.50},
	"gpt-3.5-turbo-0613":           {Input: 1.50, Output: 2},
	"gpt-3.5-turbo-1106":           {Input: 1, Output: 2},
	"gpt-3.5-turbo-16k":            {Input: 3, Output: 4},
	"gpt-3.5-turbo-instruct":       {Input: 1.50, Output: 2},
	"gpt-35-turbo":                 {Input: 0.50, Output: 1.50}, // Azure spelling
	"gpt-35-turbo-16k":             {Input: 3, Output: 4},
	"gpt-image-1":                  {Input: 5, CachedInput: 1.25, Output: 40}, // text input; image output tokens
	"davinci-002":                  {Input: 2, Output: 2},
	"babbage-002":                  {Input: 0.40, Output: 0.40},
	"text-embedding-3-small":       {Input: 0.02},
	"text-embedding-3-large":       {Input: 0.13},
	"text-embedding-ada-002":       {Input: 0.10},

	// Anthropic — https://www.anthropic.com/pricing, as published on
	// 2025-11-24. CachedInput = cache read (0.1× input), CacheWrite = 5-minute
	// cache write (1.25× input), CacheWrite1h = 1-hour cache write (2× input);
	// WebSearch = $10 per 1,000 searches, on the models that offer the tool.
	"claude-opus-4-5":    {Input: 5, CachedInput: 0.50, CacheWrite: 6.25, CacheWrite1h: 10, Output: 25, WebSearch: 0.01},
	"claude-sonnet-4-5":  {Input: 3, CachedInput: 0.30, CacheWrite: 3.75, CacheWrite1h: 6, Output: 15, WebSearch: 0.01},
	"claude-haiku-4-5":   {Input: 1, CachedInput: 0.10, CacheWrite: 1.25, CacheWrite1h: 2, Output: 5, WebSearch: 0.01},
	"claude-opus-4-1":    {Input: 15, CachedInput: 1.50, CacheWrite: 18.75, CacheWrite1h: 30, Output: 75, WebSearch: 0.01},
	"claude-opus-4":      {Input: 15, CachedInput: 1.50, CacheWrite: 18.75, CacheWrite1h: 30, Output: 75, WebSearch: 0.01},
	"claude-sonnet-4":    {Input: 3, CachedInput: 0.30, CacheWrite: 3.75, CacheWrite1h: 6, Output: 15, WebSearch: 0.01},
	"claude-3-7-sonnet":  {Input: 3, CachedInput: 0.30, CacheWrite: 3.75, CacheWrite1h: 6, Output: 15, WebSearch: 0.01},
	"claude-3.7-sonnet":  {Input: 3, CachedInput: 0.30, CacheWrite: 3.75, CacheWrite1h: 6, Output: 15, WebSearch: 0.01},
	"claude-3-5-sonnet":  {Input: 3, CachedInput: 0.30, CacheWrite: 3.75, CacheWrite1h: 6, Output: 15, WebSearch: 0.01},
	"claude-3.5-sonnet":  {Input: 3, CachedInput: 0.30, CacheWrite: 3.75, CacheWrite1h: 6, Output: 15, WebSearch: 0.01},
	"claude-3-5-haiku":   {Input: 0.80, CachedInput: 0.08, CacheWrite: 1, CacheWrite1h: 1.6, Output: 4, WebSearch: 0.01},
	"claude-3.5-haiku":   {Input: 0.80, CachedInput: 0.08, CacheWrite: 1, CacheWrite1h: 1.6, Output: 4, WebSearch: 0.01},
	"claude-3-opus":      {Input: 15, CachedInput: 1.50, CacheWrite: 18.75, CacheWrite1h: 30, Output: 75},
	"claude-3-sonnet":    {Input: 3, CachedInput: 0.30, CacheWrite: 3.75, CacheWrite1h: 6, Output: 15},
	"claude-3-haiku":     {Input: 0.25, CachedInput: 0.03, CacheWrite: 0.30, CacheWrite1h: 0.5, Output: 1.25},
	"claude-2.1":         {Input: 8, Output: 24},
	"claude-2.0":         {Input: 8, Output: 24},
	"claude-instant-1.2": {Input: 0.80, Output: 2.40},

	// Google — https://ai.google.dev/gemini-api/docs/pricing (≤128k/≤200k tier)
	"gemini-3-pro":          {Input: 2, CachedInput: 0.20, Output: 12},
	"gemini-2.5-pro":        {Input: 1.25, CachedInput: 0.31, Output: 10},
	"gemini-2.5-flash":      {Input: 0.30, CachedInput: 0.075, Output: 2.50},
	"gemini-2.5-flash-lite": {Input: 0.10, CachedInput: 0.025, Output: 0.40},
	"gemini-2.0-flash":      {Input: 0.10, CachedInput: 0.025, Output: 0.40},
	"gemini-2.0-flash-lite": {Input: 0.075, Output: 0.30},
	"gemini-1.5-pro":        {Input: 1.25, CachedInput: 0.3125, Output: 5},
	"gemini-1.5-flash":      {Input: 0.075, CachedInput: 0.01875, Output: 0.30},
	"gemini-1.5-flash-8b":   {Input: 0.0375, CachedInput: 0.01, Output: 0.15},
	"gemini-embedding-001":  {Input: 0.15},

	// Mistral — https://mistral.ai/pricing
	"mistral-large":      {Input: 2, Output: 6},
	"mistral-medium":     {Input: 0.40, Output: 2},
	"mistral-small":      {Input: 0.10, Output: 0.30},
	"magistral-medium":   {Input: 2, Output: 5},
	"magistral-small":    {Input: 0.50, Output: 1.50},
	"codestral":          {Input: 0.30, Output: 0.90},
	"devstral-small":     {Input: 0.10, Output: 0.30},
	"devstral-medium":    {Input: 0.40, Output: 2},
	"ministral-8b":       {Input: 0.10, Output: 0.10},
	"ministral-3b":       {Input: 0.04, Output: 0.04},
	"pixtral-large":      {Input: 2, Output: 6},
	"pixtral-12b":        {Input: 0.15, Output: 0.15},
	"open-mistral-nemo":  {Input: 0.15, Output: 0.15},
	"open-mistral-7b":    {Input: 0.25, Output: 0.25},
	"open-mixtral-8x7b":  {Input: 0.70, Output: 0.70},
	"open-mixtral-8x22b": {Input: 2, Output: 6},
	"mistral-embed":      {Input: 0.10},
}
