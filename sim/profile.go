package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/reask/reask/sim/fault"
)

// Profile is how a simulated provider misbehaves. The zero Profile is
// clean: no faults, no latency, no limits. Rates are probabilities in
// [0, 1], drawn independently per answer (content faults) or per request
// (transport faults).
//
// In a JSON profile file the fields are written in snake_case and
// durations as Go duration strings ("250ms", "1m30s"):
//
//	{
//	  "base": "flaky",                 // start from a built-in profile (optional)
//	  "faults": {"fence": 0.05, "missing_field": 0.1, "truncated": 0.02},
//	  "feedback": {"fix_specific": 0.9, "fix_generic": 0.15, "new_fault_scale": 0.2},
//	  "transport": {"rate_limited": 0.02, "server_error": 0.01, "bad_gateway": 0.005,
//	                "unavailable": 0.01, "drop": 0.005, "hang": 0, "hang_for": "30s"},
//	  "latency": {"median": "40ms", "p99": "400ms", "per_token": "0s"},
//	  "stream": {"chunk_chars": 4, "slow_rate": 0.05, "slow_delay": "50ms", "drop_rate": 0.01,
//	             "tokens_per_second": 50, "truncate_rate": 0.01, "corrupt_rate": 0.01},
//	  "outages": [{"start": "2m", "duration": "20s", "every": "10m"}],
//	  "batch": {"validating": "500ms", "in_progress": "2s", "finalizing": "500ms", "cancelling": "500ms",
//	            "failed_lines": 0.01, "expire": 0.02,
//	            "max_lines": 50000, "max_file_bytes": 209715200,
//	            "max_requests": 100000, "max_request_bytes": 268435456},
//	  "insufficient_quota": false,
//	  "rpm": 0, "tpm": 0,
//	  "ignore_strict": false,
//	  "constrained_json": false
//	}
//
// Fault kinds are those of package fault: fence, prose, trailing_comma,
// single_quotes, unquoted_keys, comments, python_literals, missing_field,
// null_field, number_as_string, number_as_words, enum_case, extra_field,
// nested_missing, truncated. Unknown fields, unknown fault kinds, rates
// outside [0, 1] and negative durations are errors that name the field.
type Profile struct {
	// Name is the profile's name, for logs and stats.
	Name string `json:"name,omitempty"`
	// Faults are the content faults' rates on a first answer.
	Faults map[fault.Kind]float64 `json:"faults,omitempty"`
	// Feedback is how answers after feedback behave.
	Feedback Feedback `json:"feedback"`
	// Transport are the HTTP-level faults' rates.
	Transport Transport `json:"transport"`
	// Latency is the time before the answer starts.
	Latency Latency `json:"latency"`
	// Stream shapes streamed answers.
	Stream Streaming `json:"stream"`
	// Batch shapes the batch APIs: OpenAI's Batch API and Anthropic's
	// Message Batches.
	Batch BatchAPI `json:"batch"`
	// Outages are periods, measured from the server's start on its clock,
	// when every request gets 503 (529 overloaded on the Anthropic API,
	// 503 UNAVAILABLE on the Gemini API).
	Outages []Outage `json:"outages,omitempty"`
	// InsufficientQuota answers every request as an account out of credit
	// does: 429 insufficient_quota (400 on the Anthropic API, 429
	// RESOURCE_EXHAUSTED naming a daily quota on the Gemini API). Retrying
	// never helps.
	InsufficientQuota bool `json:"insufficient_quota,omitempty"`
	// RPM and TPM are the requests and tokens per minute of the rate
	// limiter's token buckets; 0 is unlimited. Config.RPM and Config.TPM
	// override them.
	RPM int `json:"rpm,omitempty"`
	TPM int `json:"tpm,omitempty"`
	// IgnoreStrict makes the provider ignore strict structured outputs
	// (json_schema or tools with strict: true), as many OpenAI-compatible
	// servers do. A real OpenAI model decodes strictly: its answers then
	// match the schema and only truncation remains.
	IgnoreStrict bool `json:"ignore_strict,omitempty"`
	// ConstrainedJSON makes JSON mode (response_format json_object or a
	// non-strict json_schema) and tool arguments always valid JSON, as
	// OpenAI's are: only schema faults and truncation remain there. Off,
	// the provider's JSON mode is best effort, as with many models and
	// OpenAI-compatible servers, and syntax faults can happen in any mode
	// but strict (fences and prose never in tool arguments).
	ConstrainedJSON bool `json:"constrained_json,omitempty"`
}

// Feedback says how a model reacts when the conversation tells it what was
// wrong with its previous answer. The zero Feedback is a model that never
// fixes anything; DefaultFeedback is a capable one (the built-in flaky
// profile's).
type Feedback struct {
	// FixSpecific is the chance a fault is fixed when the feedback names
	// the field it hit (by name or JSON Pointer) or the problem ("missing",
	// "not valid JSON", "cut off", the expected type).
	FixSpecific float64 `json:"fix_specific"`
	// FixGeneric is the chance a fault is fixed when the feedback does not
	// name it ("invalid, try again").
	FixGeneric float64 `json:"fix_generic"`
	// NewFaultScale scales the first-answer rates for faults that appear
	// anew in an answer after feedback.
	NewFaultScale float64 `json:"new_fault_scale"`
}

// DefaultFeedback is how a capable model reacts to feedback: it fixes what
// it is told about 90% of the time, what it is not told 15% of the time,
// and makes new mistakes at a fifth of its first-answer rates.
var DefaultFeedback = Feedback{FixSpecific: 0.9, FixGeneric: 0.15, NewFaultScale: 0.2}

// Transport holds the rates of faults a request meets before any answer.
type Transport struct {
	RateLimited float64 `json:"rate_limited"` // 429 rate_limit_exceeded not caused by the limiter
	ServerError float64 `json:"server_error"` // 500 (Anthropic: api_error)
	BadGateway  float64 `json:"bad_gateway"`  // 502 with an HTML body, as a proxy sends it
	Unavailable float64 `json:"unavailable"`  // 503 (Anthropic: 529 overloaded_error)
	Drop        float64 `json:"drop"`         // the connection is closed without an answer
	Hang        float64 `json:"hang"`         // no answer for HangFor, then the connection is closed
	// HangFor is how long a hanging request waits (on the server's clock)
	// before the connection is closed; 0 means 60s. A client's timeout
	// should fire first.
	HangFor Duration `json:"hang_for"`
}

// Latency is a log-normal delay before an answer starts: Median is its
// median, P99 its 99th percentile (a P99 at or below Median gives a fixed
// delay), capped at three times P99. PerToken is added for each completion
// token of a non-streamed answer and between the chunks of a streamed one.
type Latency struct {
	Median   Duration `json:"median"`
	P99      Duration `json:"p99"`
	PerToken Duration `json:"per_token"`
}

// Streaming shapes streamed answers.
type Streaming struct {
	// ChunkChars is the content length of each chunk; 0 means 4 (about
	// one token, as real providers stream).
	ChunkChars int `json:"chunk_chars"`
	// SlowRate is the share of streams that crawl, waiting SlowDelay
	// between chunks.
	SlowRate  float64  `json:"slow_rate"`
	SlowDelay Duration `json:"slow_delay"`
	// DropRate is the share of streams cut off midway: the connection
	// closes without the final chunk or [DONE].
	DropRate float64 `json:"drop_rate"`
	// TokensPerSecond paces streams as a model writes: each chunk waits
	// its tokens (ChunkChars/4) divided by it, instead of
	// Latency.PerToken. 0 keeps Latency.PerToken.
	TokensPerSecond float64 `json:"tokens_per_second"`
	// TruncateRate is the share of streams that end cleanly midway: the
	// response finishes as a good one does, but without the final chunk or
	// [DONE] (message_stop) — the cut stream a proxy passes on as a 200.
	TruncateRate float64 `json:"truncate_rate"`
	// CorruptRate is the share of streams whose answer breaks late: a
	// stray token that is not JSON is written after 70–90% of it.
	CorruptRate float64 `json:"corrupt_rate"`
}

// BatchAPI shapes the batch APIs (OpenAI's POST /v1/batches over files,
// Anthropic's POST /v1/messages/batches): how long a batch spends in each
// state on the server's clock, how many of its lines the provider fails,
// how often a batch expires, and the APIs' limits. Zero fields mean the
// documented defaults: a batch then ends about 3 seconds after it was
// created, so that a benchmark of its rounds completes quickly. Each
// line's answer is the direct endpoint's — the same content faults and the
// same reaction to feedback — but the transport faults, the rate limiter
// and outages do not apply to batches.
type BatchAPI struct {
	// Validating is how long a batch validates its input before its lines
	// run (OpenAI's "validating"; Anthropic's batch is "in_progress"
	// throughout); 0 means 500ms.
	Validating Duration `json:"validating"`
	// InProgress is how long its lines take: each line is answered at its
	// own moment within it, and the results come in that order; 0 means
	// 2s.
	InProgress Duration `json:"in_progress"`
	// Finalizing is how long the results take to write once every line has
	// run; 0 means 500ms.
	Finalizing Duration `json:"finalizing"`
	// Cancelling is how long a cancelled batch stays "cancelling" before it
	// is "cancelled"; 0 means 500ms.
	Cancelling Duration `json:"cancelling"`
	// FailedLines is the share of lines the provider fails inside the
	// batch: a 500 server_error in OpenAI's error file, an errored api_error
	// result on Anthropic's. A line's failure is drawn per batch, so the
	// same line in a later batch may succeed.
	FailedLines float64 `json:"failed_lines"`
	// Expire is the chance a batch expires: part way through its lines it
	// stops, and at the end of InProgress it is "expired" (Anthropic:
	// "ended"), the lines that did not run marked batch_expired (Anthropic:
	// expired). Such a batch gives that moment as its expires_at; the
	// others, 24 hours after their creation.
	Expire float64 `json:"expire"`
	// MaxLines bounds the requests of an OpenAI batch input file; 0 means
	// 50,000.
	MaxLines int `json:"max_lines"`
	// MaxFileBytes bounds an uploaded OpenAI batch input file; 0 means
	// 200 MB (209,715,200 bytes).
	MaxFileBytes int64 `json:"max_file_bytes"`
	// MaxRequests bounds the requests of an Anthropic message batch; 0
	// means 100,000.
	MaxRequests int `json:"max_requests"`
	// MaxRequestBytes bounds the body of POST /v1/messages/batches; 0
	// means 256 MB (268,435,456 bytes).
	MaxRequestBytes int64 `json:"max_request_bytes"`
}

// The batch APIs' defaults, for BatchAPI's zero fields.
const (
	DefaultBatchValidating      = 500 * time.Millisecond
	DefaultBatchInProgress      = 2 * time.Second
	DefaultBatchFinalizing      = 500 * time.Millisecond
	DefaultBatchCancelling      = 500 * time.Millisecond
	DefaultBatchMaxLines        = 50_000
	DefaultBatchMaxFileBytes    = 200 << 20
	DefaultBatchMaxRequests     = 100_000
	DefaultBatchMaxRequestBytes = 256 << 20
)

// withDefaults returns b with its zero fields set to the defaults.
func (b BatchAPI) withDefaults() BatchAPI {
	orDur := func(d Duration, def time.Duration) Duration {
		if d == 0 {
			return Duration(def)
		}
		return d
	}
	b.Validating = orDur(b.Validating, DefaultBatchValidating)
	b.InProgress = orDur(b.InProgress, DefaultBatchInProgress)
	b.Finalizing = orDur(b.Finalizing, DefaultBatchFinalizing)
	b.Cancelling = orDur(b.Cancelling, DefaultBatchCancelling)
	if b.MaxLines == 0 {
		b.MaxLines = DefaultBatchMaxLines
	}
	if b.MaxFileBytes == 0 {
		b.MaxFileBytes = DefaultBatchMaxFileBytes
	}
	if b.MaxRequests == 0 {
		b.MaxRequests = DefaultBatchMaxRequests
	}
	if b.MaxRequestBytes == 0 {
		b.MaxRequestBytes = DefaultBatchMaxRequestBytes
	}
	return b
}

// Outage is a period of 503s: from Start after the server's start, for
// Duration, repeating every Every when Every is positive.
type Outage struct {
	Start    Duration `json:"start"`
	Duration Duration `json:"duration"`
	Every    Duration `json:"every,omitempty"`
}

// active reports whether the outage covers elapsed time since start.
func (o Outage) active(elapsed time.Duration) bool {
	t := elapsed - time.Duration(o.Start)
	if t < 0 || o.Duration <= 0 {
		return false
	}
	if o.Every > 0 {
		t %= time.Duration(o.Every)
	}
	return t < time.Duration(o.Duration)
}

// Duration is a time.Duration written in JSON as a Go duration string.
type Duration time.Duration

// MarshalJSON writes the duration as a string such as "1.5s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a Go duration string such as "250ms".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"250ms\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration string such as \"250ms\": %w", err)
	}
	*d = Duration(v)
	return nil
}

// ErrProfile is matched by every profile error.
var ErrProfile = errors.New("invalid simulator profile")

// ProfileError names the field of a profile that is wrong.
type ProfileError struct {
	Field string // "faults.fence", "latency.p99", ...
	Msg   string
}

func (e *ProfileError) Error() string {
	if e.Field == "" {
		return "sim profile: " + e.Msg
	}
	return "sim profile: " + e.Field + ": " + e.Msg
}

// Is makes errors.Is(err, ErrProfile) true.
func (e *ProfileError) Is(target error) bool { return target == ErrProfile }

// ProfileNames lists the built-in profiles.
func ProfileNames() []string { return []string{"clean", "flaky", "hostile"} }

// BuiltinProfile returns the built-in profile called name:
//
//   - clean: no faults of any kind, no latency.
//   - flaky: a realistic provider. About a quarter of first answers carry
//     some content fault (fences 4%, prose 3%, missing field 4%, number as
//     string 3%, enum case 3%, …), feedback naming the problem fixes it 90%
//     of the time and generic feedback 15%; about 5% of requests meet a
//     transport fault (429 2%, 500 1%, 503 1%, 502 0.5%, dropped 0.5%);
//     latency median 30ms, p99 300ms; 5% of streams crawl, 1% are cut off;
//     limits of 10,000 requests and 10M tokens per minute, whose headers
//     come with every answer; in a batch, 1% of lines fail and 2% of
//     batches expire.
//   - hostile: a bad day. About 60% of first answers are faulty, feedback
//     helps less (70% / 5%) and new faults appear more often; about 20% of
//     requests fail in transport, 1% hang; latency median 200ms, p99 2s; a
//     20s outage every 5 minutes from minute 1; strict mode is ignored;
//     limits of 5,000 requests and 2M tokens per minute; in a batch, 5% of
//     lines fail and 10% of batches expire.
func BuiltinProfile(name string) (Profile, error) {
	switch name {
	case "clean", "":
		return Profile{Name: "clean", Feedback: Feedback{FixSpecific: 1, FixGeneric: 1}}, nil
	case "flaky":
		return Profile{
			Name: "flaky",
			Faults: map[fault.Kind]float64{
				fault.Fence: 0.04, fault.Prose: 0.03, fault.TrailingComma: 0.02, fault.SingleQuotes: 0.01,
				fault.UnquotedKeys: 0.01, fault.Comments: 0.01, fault.PythonLiterals: 0.01,
				fault.MissingField: 0.04, fault.NullField: 0.02, fault.NumberAsString: 0.03, fault.NumberAsWords: 0.01,
				fault.EnumCase: 0.03, fault.ExtraField: 0.02, fault.NestedMissing: 0.02, fault.Truncated: 0.02,
			},
			Feedback:  Feedback{FixSpecific: 0.9, FixGeneric: 0.15, NewFaultScale: 0.2},
			Transport: Transport{RateLimited: 0.02, ServerError: 0.01, BadGateway: 0.005, Unavailable: 0.01, Drop: 0.005},
			Latency:   Latency{Median: Duration(30 * time.Millisecond), P99: Duration(300 * time.Millisecond)},
			Stream:    Streaming{SlowRate: 0.05, SlowDelay: Duration(50 * time.Millisecond), DropRate: 0.01},
			// An account's limits, as a paid OpenAI tier has them: high
			// enough not to bind at modest concurrency, and every answer —
			// the injected 429s included — carries the x-ratelimit headers.
			RPM: 10_000, TPM: 10_000_000,
			Batch: BatchAPI{FailedLines: 0.01, Expire: 0.02},
		}, nil
	case "hostile":
		return Profile{
			Name: "hostile",
			Faults: map[fault.Kind]float64{
				fault.Fence: 0.10, fault.Prose: 0.08, fault.TrailingComma: 0.06, fault.SingleQuotes: 0.04,
				fault.UnquotedKeys: 0.04, fault.Comments: 0.04, fault.PythonLiterals: 0.04,
				fault.MissingField: 0.10, fault.NullField: 0.05, fault.NumberAsString: 0.08, fault.NumberAsWords: 0.04,
				fault.EnumCase: 0.08, fault.ExtraField: 0.06, fault.NestedMissing: 0.06, fault.Truncated: 0.06,
			},
			Feedback: Feedback{FixSpecific: 0.7, FixGeneric: 0.05, NewFaultScale: 0.5},
			Transport: Transport{RateLimited: 0.08, ServerError: 0.04, BadGateway: 0.02, Unavailable: 0.04, Drop: 0.02,
				Hang: 0.01, HangFor: Duration(60 * time.Second)},
			Latency:      Latency{Median: Duration(200 * time.Millisecond), P99: Duration(2 * time.Second)},
			Stream:       Streaming{SlowRate: 0.2, SlowDelay: Duration(200 * time.Millisecond), DropRate: 0.05},
			Outages:      []Outage{{Start: Duration(time.Minute), Duration: Duration(20 * time.Second), Every: Duration(5 * time.Minute)}},
			IgnoreStrict: true,
			RPM:          5_000, TPM: 2_000_000,
			Batch: BatchAPI{FailedLines: 0.05, Expire: 0.1},
		}, nil
	}
	return Profile{}, &ProfileError{Msg: fmt.Sprintf("no built-in profile %q (built in: %s)", name, strings.Join(ProfileNames(), ", "))}
}

// LoadProfile reads a JSON profile file (see Profile for the format).
func LoadProfile(path string) (Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Profile{}, fmt.Errorf("%w: %w", ErrProfile, err)
	}
	p, err := ParseProfile(data)
	if err != nil {
		return Profile{}, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// ParseProfile reads a JSON profile (see Profile for the format) and
// validates it. A "base" member starts from that built-in profile; the
// members given replace the base's, fault rates one by one.
func ParseProfile(data []byte) (Profile, error) {
	var head struct {
		Base string `json:"base"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return Profile{}, &ProfileError{Msg: "not a JSON object: " + err.Error()}
	}
	p := Profile{}
	if head.Base != "" {
		b, err := BuiltinProfile(head.Base)
		if err != nil {
			return Profile{}, &ProfileError{Field: "base", Msg: err.(*ProfileError).Msg}
		}
		p = b
		p.Faults = maps(b.Faults)
		p.Outages = slices.Clone(b.Outages)
		p.Name = ""
	}
	var file struct {
		Base string `json:"base"`
		*Profile
	}
	file.Profile = &p
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return Profile{}, &ProfileError{Field: strings.TrimPrefix(te.Field, "Profile."), Msg: fmt.Sprintf("want %s, got %s", te.Type, te.Value)}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return Profile{}, &ProfileError{Field: strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), Msg: "unknown field"}
		}
		if field := badDuration(data); field != "" {
			return Profile{}, &ProfileError{Field: field, Msg: err.Error()}
		}
		return Profile{}, &ProfileError{Msg: err.Error()}
	}
	if p.Name == "" {
		p.Name = "custom"
	}
	if err := p.Validate(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// badDuration finds the duration member of a profile document that does
// not parse, since json reports a custom decoder's error without its field.
func badDuration(data []byte) string {
	var doc map[string]any
	if json.Unmarshal(data, &doc) != nil {
		return ""
	}
	bad := func(v any) bool {
		s, ok := v.(string)
		if !ok {
			return true
		}
		_, err := time.ParseDuration(s)
		return err != nil
	}
	for _, sec := range []struct {
		name   string
		fields []string
	}{
		{"transport", []string{"hang_for"}}, {"latency", []string{"median", "p99", "per_token"}}, {"stream", []string{"slow_delay"}},
		{"batch", []string{"validating", "in_progress", "finalizing", "cancelling"}},
	} {
		m, _ := doc[sec.name].(map[string]any)
		for _, f := range sec.fields {
			if v, ok := m[f]; ok && bad(v) {
				return sec.name + "." + f
			}
		}
	}
	outages, _ := doc["outages"].([]any)
	for i, o := range outages {
		m, _ := o.(map[string]any)
		for _, f := range []string{"start", "duration", "every"} {
			if v, ok := m[f]; ok && bad(v) {
				return fmt.Sprintf("outages[%d].%s", i, f)
			}
		}
	}
	return ""
}

func maps(m map[fault.Kind]float64) map[fault.Kind]float64 {
	out := make(map[fault.Kind]float64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Validate reports the first problem of p, naming its field.
func (p *Profile) Validate() error {
	rate := func(field string, v float64) error {
		if math.IsNaN(v) || v < 0 || v > 1 {
			return &ProfileError{Field: field, Msg: fmt.Sprintf("rate %v outside [0, 1]", v)}
		}
		return nil
	}
	dur := func(field string, d Duration) error {
		if d < 0 {
			return &ProfileError{Field: field, Msg: fmt.Sprintf("negative duration %s", time.Duration(d))}
		}
		return nil
	}
	kinds := make([]string, 0, len(p.Faults))
	for k := range p.Faults {
		kinds = append(kinds, string(k))
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		if _, err := fault.ParseKind(k); err != nil {
			return &ProfileError{Field: "faults." + k, Msg: err.Error()}
		}
		if err := rate("faults."+k, p.Faults[fault.Kind(k)]); err != nil {
			return err
		}
	}
	checks := []struct {
		field string
		v     float64
	}{
		{"feedback.fix_specific", p.Feedback.FixSpecific}, {"feedback.fix_generic", p.Feedback.FixGeneric},
		{"transport.rate_limited", p.Transport.RateLimited}, {"transport.server_error", p.Transport.ServerError},
		{"transport.bad_gateway", p.Transport.BadGateway}, {"transport.unavailable", p.Transport.Unavailable},
		{"transport.drop", p.Transport.Drop}, {"transport.hang", p.Transport.Hang},
		{"stream.slow_rate", p.Stream.SlowRate}, {"stream.drop_rate", p.Stream.DropRate},
		{"stream.truncate_rate", p.Stream.TruncateRate}, {"stream.corrupt_rate", p.Stream.CorruptRate},
		{"batch.failed_lines", p.Batch.FailedLines}, {"batch.expire", p.Batch.Expire},
	}
	for _, c := range checks {
		if err := rate(c.field, c.v); err != nil {
			return err
		}
	}
	if s := p.Feedback.NewFaultScale; math.IsNaN(s) || s < 0 {
		return &ProfileError{Field: "feedback.new_fault_scale", Msg: fmt.Sprintf("scale %v is negative", s)}
	}
	t := p.Transport
	if sum := t.RateLimited + t.ServerError + t.BadGateway + t.Unavailable + t.Drop + t.Hang; sum > 1 {
		return &ProfileError{Field: "transport", Msg: fmt.Sprintf("rates add up to %v, more than 1", sum)}
	}
	durs := []struct {
		field string
		d     Duration
	}{
		{"transport.hang_for", t.HangFor}, {"latency.median", p.Latency.Median}, {"latency.p99", p.Latency.P99},
		{"latency.per_token", p.Latency.PerToken}, {"stream.slow_delay", p.Stream.SlowDelay},
		{"batch.validating", p.Batch.Validating}, {"batch.in_progress", p.Batch.InProgress},
		{"batch.finalizing", p.Batch.Finalizing}, {"batch.cancelling", p.Batch.Cancelling},
	}
	for i, o := range p.Outages {
		f := fmt.Sprintf("outages[%d].", i)
		durs = append(durs, struct {
			field string
			d     Duration
		}{f + "start", o.Start}, struct {
			field string
			d     Duration
		}{f + "duration", o.Duration}, struct {
			field string
			d     Duration
		}{f + "every", o.Every})
		if o.Every > 0 && o.Every < o.Duration {
			return &ProfileError{Field: f + "every", Msg: "shorter than the outage's duration"}
		}
	}
	for _, d := range durs {
		if err := dur(d.field, d.d); err != nil {
			return err
		}
	}
	if p.Stream.ChunkChars < 0 {
		return &ProfileError{Field: "stream.chunk_chars", Msg: "negative"}
	}
	if v := p.Stream.TokensPerSecond; math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return &ProfileError{Field: "stream.tokens_per_second", Msg: fmt.Sprintf("%v is not a pace", v)}
	}
	for _, l := range []struct {
		field string
		v     int64
	}{
		{"batch.max_lines", int64(p.Batch.MaxLines)}, {"batch.max_file_bytes", p.Batch.MaxFileBytes},
		{"batch.max_requests", int64(p.Batch.MaxRequests)}, {"batch.max_request_bytes", p.Batch.MaxRequestBytes},
	} {
		if l.v < 0 {
			return &ProfileError{Field: l.field, Msg: "negative"}
		}
	}
	if p.RPM < 0 {
		return &ProfileError{Field: "rpm", Msg: "negative"}
	}
	if p.TPM < 0 {
		return &ProfileError{Field: "tpm", Msg: "negative"}
	}
	return nil
}

// ResolveProfile returns the built-in profile called nameOrPath, or else
// the JSON profile file at that path: what a --profile flag takes.
func ResolveProfile(nameOrPath string) (Profile, error) {
	if slices.Contains(ProfileNames(), nameOrPath) || nameOrPath == "" {
		return BuiltinProfile(nameOrPath)
	}
	return LoadProfile(nameOrPath)
}
