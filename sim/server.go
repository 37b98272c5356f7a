// Package sim is a simulated LLM provider: an OpenAI-compatible HTTP
// server (POST /v1/chat/completions, OpenAI's Responses API POST
// /v1/responses, GET /v1/models, the Batch API over /v1/files and
// /v1/batches) that also speaks Anthropic's POST /v1/messages and its
// Message Batches (/v1/messages/batches) and Google's Gemini API (POST
// /v1beta/models/{model}:generateContent), answers extraction requests for
// any JSON Schema with
// deterministic heuristics (package sim/extract), and
// misbehaves like a real, flaky provider: content faults in its answers,
// a reaction to feedback like a real model's, rate limits with the real
// headers, 5xx errors, dropped connections, latency, outages and slow
// streams, all seeded and reproducible.
//
// It models a provider, not any client: nothing in a request is read but
// what the provider's API defines. Use it in tests with httptest:
//
//	srv, err := sim.New(sim.Config{Seed: 1, Profile: flaky})
//	ts := httptest.NewServer(srv)
//	defer ts.Close()
//	// point an OpenAI client at ts.URL + "/v1"
//
// Every endpoint shares the model, its faults and its reaction to
// feedback, the rate limiter and the transport faults; each answers in its
// API's own shapes, errors and headers. The server stores nothing but the
// batch APIs' files and batches (in memory, within
// Config.MaxStoredBytes): the Responses API's previous_response_id,
// conversations, item references, background mode and GET
// /v1/responses/{id} get a 400 (404 for the GET) that says so — send the
// whole conversation in "input".
//
// The batch APIs run each line as the direct endpoint would answer it —
// the same content faults, the same reaction to feedback — on a timeline
// of the server's clock that Profile.Batch shapes (a few seconds in all
// by default), with a share of lines failed inside the batch, a chance of
// expiry, and results in the order the lines ran; the transport faults,
// the rate limiter and outages do not apply to them.
//
// Determinism: the content of an answer depends on the seed and the
// conversation (model, messages, schema) alone at temperature 0; above 0,
// a per-server sample counter (or the request's seed) is mixed in.
// Transport faults depend on the seed and the request's number on this
// server, so a given sequence of requests meets the same faults; requests
// to the batch APIs take no such number, so polling a batch changes no
// direct answer. A batch line's answer depends on the seed and its body
// (its custom_id standing in for the sample counter above temperature 0),
// what the provider does to it on the seed, the batch's id and its
// custom_id: not on the lines' order (see batch.go).
package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reask/reask/clock"
)

// Config configures a Server. The zero Config is a clean, unlimited
// provider on the system clock with seed 0.
type Config struct {
	// Seed makes every random choice reproducible.
	Seed int64
	// Profile is how the provider misbehaves; the zero Profile is clean.
	Profile Profile
	// Clock measures time for the rate limiter, latency, outages and slow
	// streams; nil means the system clock.
	Clock clock.Clock
	// RPM and TPM override the profile's requests and tokens per minute
	// when positive.
	RPM, TPM int
	// Latency overrides the profile's latency when not nil.
	Latency *Latency
	// Models, when set, restricts the model names served: a request for
	// any other model gets 404 model_not_found, whose message lists the
	// names (at most MaxListedModels of them). Empty, every model name is
	// served — the simulator stands in for whatever model an application
	// names — and GET /v1/models lists DefaultModels. Every model behaves
	// alike: its name only seeds its answers, as part of the
	// conversation.
	Models []string
	// APIKey, when set, must be sent as "Authorization: Bearer KEY" or
	// "x-api-key: KEY"; other requests get 401. The Gemini endpoint takes
	// it as "x-goog-api-key: KEY" or "?key=KEY", as Google does, and
	// answers 403 without it, 400 API_KEY_INVALID with another.
	APIKey string
	// MaxBodyBytes bounds a request body; 0 means 8 MiB. The batch APIs'
	// uploads have their own bounds (Profile.Batch).
	MaxBodyBytes int64
	// MaxStoredBytes bounds what the batch APIs hold in memory: uploaded
	// files, written result files and message batches; 0 means 1 GiB. It
	// is checked when a file is uploaded or a message batch created (a
	// batch's results may pass it by their own size); deleting a file or a
	// message batch gives its bytes back.
	MaxStoredBytes int64
	// Logger receives one debug line per request; nil discards.
	Logger *slog.Logger
}

// DefaultModels are what GET /v1/models lists when Config.Models is
// empty; any other name is served too.
var DefaultModels = []string{
	"gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1", "sim-1",
	"claude-3-5-haiku-latest", "claude-sonnet-4-5", "claude-opus-4-1",
}

// Server is the simulated provider. It is an http.Handler, safe for
// concurrent use.
type Server struct {
	cfg     Config
	prof    Profile
	clk     clock.Clock
	log     *slog.Logger
	models  []string // served models; nil: any
	latency Latency
	maxBody int64

	reqSeq    atomic.Uint64 // numbers requests, for transport faults and ids
	sampleSeq atomic.Uint64 // numbers samples at temperature > 0

	mu    sync.Mutex // guards start, lim and stats
	start time.Time
	lim   *limiter
	stats Stats

	cache     schemaCache
	store     batchStore
	maxStored int64
	batch     BatchAPI // the profile's, defaults filled in
}

var _ http.Handler = (*Server)(nil)

// New returns a Server, or an error when the configuration is invalid.
func New(cfg Config) (*Server, error) {
	if err := cfg.Profile.Validate(); err != nil {
		return nil, err
	}
	if cfg.RPM < 0 || cfg.TPM < 0 {
		return nil, fmt.Errorf("%w: RPM and TPM must not be negative", ErrConfig)
	}
	if cfg.MaxBodyBytes < 0 || cfg.MaxStoredBytes < 0 {
		return nil, fmt.Errorf("%w: MaxBodyBytes and MaxStoredBytes must not be negative", ErrConfig)
	}
	s := &Server{cfg: cfg, prof: cfg.Profile, clk: cfg.Clock, log: cfg.Logger, maxBody: cfg.MaxBodyBytes, maxStored: cfg.MaxStoredBytes}
	if s.maxStored == 0 {
		s.maxStored = 1 << 30
	}
	s.batch = s.prof.Batch.withDefaults()
	if s.clk == nil {
		s.clk = clock.System()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody == 0 {
		s.maxBody = 8 << 20
	}
	for i, m := range cfg.Models {
		if strings.TrimSpace(m) == "" {
			return nil, fmt.Errorf("%w: Models[%d] is empty", ErrConfig, i)
		}
	}
	if len(cfg.Models) > 0 {
		s.models = slices.Clone(cfg.Models)
	}
	s.latency = s.prof.Latency
	if cfg.Latency != nil {
		l := *cfg.Latency
		if l.Median < 0 || l.P99 < 0 || l.PerToken < 0 {
			return nil, fmt.Errorf("%w: negative latency", ErrConfig)
		}
		s.latency = l
	}
	s.Reset()
	return s, nil
}

// ErrConfig is matched by New's configuration errors (profile errors
// match ErrProfile).
var ErrConfig = errors.New("invalid simulator configuration")

func (s *Server) rpm() int {
	if s.cfg.RPM > 0 {
		return s.cfg.RPM
	}
	return s.prof.RPM
}

func (s *Server) tpm() int {
	if s.cfg.TPM > 0 {
		return s.cfg.TPM
	}
	return s.prof.TPM
}

// Reset restarts the server's state: statistics, rate-limit buckets (full
// again), the request and sample counters, the start time outages are
// measured from, and the batch APIs' files and batches (forgotten). Caches
// are kept.
func (s *Server) Reset() {
	now := s.clk.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start = now
	s.lim = newLimiter(s.rpm(), s.tpm(), now)
	s.stats = Stats{}
	s.reqSeq.Store(0)
	s.sampleSeq.Store(0)
	s.store.reset()
}

// Stats counts what the server did since it started or was reset.
type Stats struct {
	Requests         int64            `json:"requests"`
	ByStatus         map[int]int64    `json:"by_status"`
	Completions      int64            `json:"completions"`
	Streams          int64            `json:"streams"`
	PromptTokens     int64            `json:"prompt_tokens"`
	CompletionTokens int64            `json:"completion_tokens"`
	Faults           map[string]int64 `json:"faults"`    // content faults injected, by kind
	Transport        map[string]int64 `json:"transport"` // transport faults injected, by kind
	RateLimited      int64            `json:"rate_limited"`
	Dropped          int64            `json:"dropped"`
	Batch            BatchStats       `json:"batch"`
}

// BatchStats counts what the batch APIs did. Their answered lines count
// in Stats' completions, tokens and faults too; their requests do not
// count in Stats.Requests.
type BatchStats struct {
	Requests int64 `json:"requests"` // requests to the batch endpoints: uploads, creations, polls, downloads, cancels
	Batches  int64 `json:"batches"`  // batches created, of both APIs
	Lines    int64 `json:"lines"`    // lines of the batches that ended
	Failed   int64 `json:"failed"`   // lines the provider failed (5xx inside the batch)
	Expired  int64 `json:"expired"`  // lines that never ran: their batch expired
	Canceled int64 `json:"canceled"` // lines that never ran: their batch was cancelled
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByStatus = make(map[int]int64, len(s.stats.ByStatus))
	for k, v := range s.stats.ByStatus {
		st.ByStatus[k] = v
	}
	st.Faults = make(map[string]int64, len(s.stats.Faults))
	for k, v := range s.stats.Faults {
		st.Faults[k] = v
	}
	st.Transport = make(map[string]int64, len(s.stats.Transport))
	for k, v := range s.stats.Transport {
		st.Transport[k] = v
	}
	return st
}

func (s *Server) count(f func(st *Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

func (s *Server) countStatus(code int) {
	s.count(func(st *Stats) {
		if st.ByStatus == nil {
			st.ByStatus = map[int]int64{}
		}
		st.ByStatus[code]++
		if code == http.StatusTooManyRequests {
			st.RateLimited++
		}
	})
}

// countTransport counts a transport fault of kind; dropped says it closed
// the connection without an answer.
func (s *Server) countTransport(kind string, dropped bool) {
	s.count(func(st *Stats) {
		if st.Transport == nil {
			st.Transport = map[string]int64{}
		}
		st.Transport[kind]++
		if dropped {
			st.Dropped++
		}
	})
}

// settle charges the answers' tokens to the rate limiter and counts the
// completion, its tokens and its faults. It returns the time it charged at
// and the answers' tokens.
func (s *Server) settle(prompt int, reps ...reply) (time.Time, int) {
	completion := 0
	for _, rep := range reps {
		completion += rep.tokens
	}
	now := s.clk.Now()
	s.mu.Lock()
	lim := s.lim
	s.mu.Unlock()
	lim.charge(now, completion)
	s.countAnswer(prompt, reps...)
	return now, completion
}

// countAnswer counts a completion, its tokens and its faults.
func (s *Server) countAnswer(prompt int, reps ...reply) {
	s.count(func(st *Stats) {
		st.Completions++
		st.PromptTokens += int64(prompt)
		for _, rep := range reps {
			st.CompletionTokens += int64(rep.tokens)
			for _, f := range rep.faults {
				if st.Faults == nil {
					st.Faults = map[string]int64{}
				}
				st.Faults[string(f.Kind)]++
			}
		}
	})
}

// ServeHTTP routes the provider's endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case path == "/v1/chat/completions" || path == "/chat/completions":
		if r.Method != http.MethodPost {
			s.methodNotAllowed(w, r)
			return
		}
		s.chat(w, r)
	case path == "/v1/responses" || path == "/responses":
		if r.Method != http.MethodPost {
			s.methodNotAllowed(w, r)
			return
		}
		s.responses(w, r)
	case strings.HasPrefix(path, "/v1/responses/"):
		s.storedResponse(w, r, strings.TrimPrefix(path, "/v1/responses/"))
	case path == "/v1/messages":
		if r.Method != http.MethodPost {
			s.methodNotAllowed(w, r)
			return
		}
		s.messages(w, r)
	case isGeminiPath(path):
		model, method, _ := geminiMethod(path)
		s.geminiModels(w, r, model, method)
	case path == "/v1/models" || path == "/models":
		s.listModels(w, r)
	case strings.HasPrefix(path, "/v1/models/"):
		s.getModel(w, r, strings.TrimPrefix(path, "/v1/models/"))
	case path == "/_sim/stats":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Stats())
	case path == "/_sim/reset" && r.Method == http.MethodPost:
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	case path == "/v1/messages/batches" || strings.HasPrefix(path, "/v1/messages/batches/"):
		s.messageBatchesAPI(w, r, segments(strings.TrimPrefix(path, "/v1/messages/batches")))
	case batchPath(path):
		s.openAIBatchAPI(w, r, segments(strings.TrimPrefix(path, "/v1")))
	default:
		s.countStatus(http.StatusNotFound)
		writeOpenAIError(w, http.StatusNotFound, apiError{
			Message: fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path), Type: "invalid_request_error"})
	}
}

// batchPath reports whether path is one of OpenAI's Files or Batch API,
// with or without the /v1 prefix.
func batchPath(path string) bool {
	p := strings.TrimPrefix(path, "/v1")
	for _, root := range []string{"/files", "/batches"} {
		if p == root || strings.HasPrefix(p, root+"/") {
			return true
		}
	}
	return false
}

// segments splits a path at its slashes, without empty segments.
func segments(path string) []string {
	var out []string
	for seg := range strings.SplitSeq(path, "/") {
		if seg != "" {
			out = append(out, seg)
		}
	}
	return out
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	s.countStatus(http.StatusMethodNotAllowed)
	writeOpenAIError(w, http.StatusMethodNotAllowed, apiError{
		Message: fmt.Sprintf("Invalid method for URL (%s %s)", r.Method, r.URL.Path), Type: "invalid_request_error"})
}

// hasModel reports whether the server serves model m: any model when
// Config.Models is empty.
func (s *Server) hasModel(m string) bool { return s.models == nil || slices.Contains(s.models, m) }

// MaxListedModels bounds the model names an unknown model's error lists.
const MaxListedModels = 20

// availableModels lists the served models for an unknown model's error:
// "m1, m2" (the first MaxListedModels, then how many more).
func (s *Server) availableModels() string {
	names := s.models
	more := 0
	if len(names) > MaxListedModels {
		names, more = names[:MaxListedModels], len(names)-MaxListedModels
	}
	list := strings.Join(names, ", ")
	if more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	return list
}

// listed returns the names GET /v1/models lists.
func (s *Server) listed() []string {
	if s.models == nil {
		return DefaultModels
	}
	return s.models
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) {
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	out := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list"}
	for _, m := range s.listed() {
		out.Data = append(out.Data, model{ID: m, Object: "model", Created: 1700000000, OwnedBy: "sim"})
	}
	s.countStatus(http.StatusOK)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getModel(w http.ResponseWriter, r *http.Request, id string) {
	if !s.hasModel(id) {
		s.countStatus(http.StatusNotFound)
		writeOpenAIError(w, http.StatusNotFound, apiError{Message: fmt.Sprintf("The model '%s' does not exist. Available models: %s.", id, s.availableModels()),
			Type: "invalid_request_error", Param: ptr("model"), Code: ptr("model_not_found")})
		return
	}
	s.countStatus(http.StatusOK)
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "model", "created": 1700000000, "owned_by": "sim"})
}

func ptr[T any](v T) *T { return &v }

func writeJSON(w http.ResponseWriter, code int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(code)
	_, _ = w.Write(data)
}

// requestID derives a request's id from the seed and its number.
func requestID(seed int64, n uint64, prefix string) string {
	v := mix(uint64(seed), n^0x5bd1e995)
	const hexd = "0123456789abcdef"
	b := make([]byte, 0, len(prefix)+24)
	b = append(b, prefix...)
	for i := 0; i < 24; i++ {
		b = append(b, hexd[v&0xf])
		v >>= 4
		if i == 15 {
			v = mix(v, n)
		}
	}
	return string(b)
}

// ---- transport faults ----

// api tells the two dialects apart where errors and headers differ.
type api int

const (
	apiOpenAI api = iota
	apiAnthropic
	apiGemini
)

// gate is a request's passage through the transport: outages, quota,
// the rate limiter, injected faults and latency. It returns false when it
// has answered (or dropped) the request itself.
func (s *Server) gate(w http.ResponseWriter, r *http.Request, dialect api, n uint64, model string, promptTokens, need int) (*rand.Rand, bool) {
	tr := rand.New(rand.NewPCG(mix(uint64(s.cfg.Seed), 0x7472616e73706f72), n))
	now := s.clk.Now()
	s.mu.Lock()
	elapsed := now.Sub(s.start)
	lim := s.lim
	s.mu.Unlock()
	for _, o := range s.prof.Outages {
		if o.active(elapsed) {
			s.countTransport("outage", false)
			s.unavailable(w, dialect)
			return nil, false
		}
	}
	if s.prof.InsufficientQuota {
		s.countTransport("insufficient_quota", false)
		if dialect == apiGemini {
			s.geminiQuotaSpent(w, model)
		} else if dialect == apiAnthropic {
			s.anthropicError(w, http.StatusBadRequest, "invalid_request_error",
				"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.")
		} else {
			s.openAIError(w, http.StatusTooManyRequests, apiError{
				Message: "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
				Type:    "insufficient_quota", Code: ptr("insufficient_quota")})
		}
		return nil, false
	}
	st, ok := lim.admit(now, promptTokens, need)
	setLimitHeaders(w, dialect, st, now)
	if !ok {
		s.rateLimited(w, dialect, st, model)
		return nil, false
	}
	if f := pickTransportFault(s.prof.Transport, tr.Float64()); f != nil {
		s.countTransport(f.name, f.drops)
		f.fail(s, refusal{w: w, r: r, dialect: dialect, limits: st, model: model, tr: tr})
		return nil, false
	}
	if d := s.sampleLatency(tr); d > 0 {
		if err := s.clk.Sleep(r.Context(), d); err != nil {
			return nil, false
		}
	}
	return tr, true
}

// transportFault is a fault a request can meet in transport, before any
// answer.
type transportFault struct {
	name  string // its field in Transport's JSON and its key in Stats.Transport
	rate  func(Transport) float64
	drops bool // the connection closes without an answer (Stats.Dropped)
	fail  func(s *Server, x refusal)
}

// refusal is what a transport fault needs to fail a request.
type refusal struct {
	w       http.ResponseWriter
	r       *http.Request
	dialect api
	limits  limitState // the limiter's state, for the headers of a 429
	model   string
	tr      *rand.Rand // the request's transport draws
}

// transportFaults lay their rates end to end on [0, 1), in this order:
// one draw per request falls in one fault's stretch or past them all. The
// order is part of what a seed reproduces.
var transportFaults = []transportFault{
	{name: "drop", rate: func(t Transport) float64 { return t.Drop }, drops: true,
		fail: func(_ *Server, x refusal) { drop(x.w) }},
	{name: "hang", rate: func(t Transport) float64 { return t.Hang }, drops: true,
		fail: func(s *Server, x refusal) {
			d := time.Duration(s.prof.Transport.HangFor)
			if d == 0 {
				d = time.Minute
			}
			_ = s.clk.Sleep(x.r.Context(), d)
			drop(x.w)
		}},
	{name: "rate_limited", rate: func(t Transport) float64 { return t.RateLimited },
		fail: func(s *Server, x refusal) {
			// a short wait, as a provider's burst limiter asks for
			x.limits.retryAfter = time.Duration(200+x.tr.IntN(4800)) * time.Millisecond
			x.limits.limitedBy = "requests"
			s.rateLimited(x.w, x.dialect, x.limits, x.model)
		}},
	{name: "server_error", rate: func(t Transport) float64 { return t.ServerError },
		fail: func(s *Server, x refusal) {
			if x.dialect == apiGemini {
				s.geminiServerError(x.w)
				return
			}
			if x.dialect == apiAnthropic {
				s.anthropicError(x.w, http.StatusInternalServerError, "api_error", "Internal server error")
				return
			}
			s.openAIError(x.w, http.StatusInternalServerError, apiError{
				Message: "The server had an error while processing your request. Sorry about that!", Type: "server_error"})
		}},
	{name: "bad_gateway", rate: func(t Transport) float64 { return t.BadGateway },
		fail: func(s *Server, x refusal) {
			s.countStatus(http.StatusBadGateway)
			x.w.Header().Set("Content-Type", "text/html")
			x.w.WriteHeader(http.StatusBadGateway)
			_, _ = x.w.Write([]byte("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"))
		}},
	{name: "unavailable", rate: func(t Transport) float64 { return t.Unavailable },
		fail: func(s *Server, x refusal) { s.unavailable(x.w, x.dialect) }},
}

// pickTransportFault returns the transport fault whose stretch of [0, 1)
// holds u, or nil.
func pickTransportFault(t Transport, u float64) *transportFault {
	end := 0.0
	for i := range transportFaults {
		end += transportFaults[i].rate(t)
		if u < end {
			return &transportFaults[i]
		}
	}
	return nil
}

func (s *Server) unavailable(w http.ResponseWriter, dialect api) {
	if dialect == apiGemini {
		s.geminiUnavailable(w)
		return
	}
	if dialect == apiAnthropic {
		s.anthropicError(w, 529, "overloaded_error", "Overloaded")
		return
	}
	s.openAIError(w, http.StatusServiceUnavailable, apiError{
		Message: "The engine is currently overloaded, please try again later.", Type: "server_error"})
}

func (s *Server) rateLimited(w http.ResponseWriter, dialect api, st limitState, model string) {
	if dialect == apiGemini {
		s.geminiRateLimited(w, st, model) // RetryInfo in the body, no Retry-After header
		return
	}
	if st.retryAfter > 0 {
		w.Header().Set("retry-after", retryAfterSeconds(st.retryAfter))
		w.Header().Set("retry-after-ms", retryAfterMillis(st.retryAfter))
	}
	if dialect == apiAnthropic {
		msg := "This request would exceed the rate limit for your organization of " + strconv.Itoa(st.rpm) + " requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits."
		if st.limitedBy == "tokens" {
			msg = "This request would exceed the rate limit for your organization of " + strconv.Itoa(st.tpm) + " input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits."
		}
		s.anthropicError(w, http.StatusTooManyRequests, "rate_limit_error", msg)
		return
	}
	var msg string
	switch {
	case st.tooLarge:
		msg = fmt.Sprintf("Request too large for %s in organization org-sim on tokens per min (TPM): Limit %d, Requested %d. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.", model, st.tpm, st.requested)
	case st.limitedBy == "tokens":
		msg = fmt.Sprintf("Rate limit reached for %s in organization org-sim on tokens per min (TPM): Limit %d, Used %d, Requested %d. Please try again in %s. Visit https://platform.openai.com/account/rate-limits to learn more.", model, st.tpm, st.tpm-st.remTok, st.requested, humanWait(st.retryAfter))
	case st.rpm > 0:
		msg = fmt.Sprintf("Rate limit reached for %s in organization org-sim on requests per min (RPM): Limit %d, Used %d, Requested 1. Please try again in %s. Visit https://platform.openai.com/account/rate-limits to learn more.", model, st.rpm, st.rpm-st.remReq, humanWait(st.retryAfter))
	default:
		msg = fmt.Sprintf("Rate limit reached for %s in organization org-sim on requests per min (RPM). Please try again in %s. Visit https://platform.openai.com/account/rate-limits to learn more.", model, humanWait(st.retryAfter))
	}
	typ := "requests"
	if st.limitedBy == "tokens" {
		typ = "tokens"
	}
	s.openAIError(w, http.StatusTooManyRequests, apiError{Message: msg, Type: typ, Code: ptr("rate_limit_exceeded")})
}

// humanWait writes a wait as OpenAI's messages do: "20s", "1.5s", "120ms".
func humanWait(d time.Duration) string {
	if d < time.Second {
		return strconv.FormatInt(int64(math.Ceil(float64(d)/float64(time.Millisecond))), 10) + "ms"
	}
	return strconv.FormatFloat(math.Ceil(d.Seconds()*1000)/1000, 'f', -1, 64) + "s"
}

func setLimitHeaders(w http.ResponseWriter, dialect api, st limitState, now time.Time) {
	if dialect == apiGemini {
		return // the Gemini API sends no rate-limit headers
	}
	h := w.Header()
	if dialect == apiAnthropic {
		if st.rpm > 0 {
			h.Set("anthropic-ratelimit-requests-limit", strconv.Itoa(st.rpm))
			h.Set("anthropic-ratelimit-requests-remaining", strconv.Itoa(st.remReq))
			h.Set("anthropic-ratelimit-requests-reset", now.Add(ceilDuration(st.resetReq, time.Second)).UTC().Format(time.RFC3339))
		}
		if st.tpm > 0 {
			h.Set("anthropic-ratelimit-tokens-limit", strconv.Itoa(st.tpm))
			h.Set("anthropic-ratelimit-tokens-remaining", strconv.Itoa(st.remTok))
			h.Set("anthropic-ratelimit-tokens-reset", now.Add(ceilDuration(st.resetTok, time.Second)).UTC().Format(time.RFC3339))
		}
		return
	}
	if st.rpm > 0 {
		h.Set("x-ratelimit-limit-requests", strconv.Itoa(st.rpm))
		h.Set("x-ratelimit-remaining-requests", strconv.Itoa(st.remReq))
		h.Set("x-ratelimit-reset-requests", resetString(st.resetReq))
	}
	if st.tpm > 0 {
		h.Set("x-ratelimit-limit-tokens", strconv.Itoa(st.tpm))
		h.Set("x-ratelimit-remaining-tokens", strconv.Itoa(st.remTok))
		h.Set("x-ratelimit-reset-tokens", resetString(st.resetTok))
	}
}

// drop closes the connection without an answer, as a failing network
// does.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// sampleLatency draws the delay before an answer.
func (s *Server) sampleLatency(r *rand.Rand) time.Duration {
	med, p99 := float64(s.latency.Median), float64(s.latency.P99)
	if med <= 0 {
		return 0
	}
	if p99 <= med {
		return time.Duration(med)
	}
	sigma := math.Log(p99/med) / 2.326
	d := med * math.Exp(sigma*r.NormFloat64())
	return time.Duration(math.Min(d, 3*p99))
}
