package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/reask/reask/schema/dialect"
	"io"
	"net/http"
	"net/url"
	"regexp"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/httpapi"
	"github.com/reask/reask/provider/batchapi"
)

// Message Batches' limits, for BatchConfig's zero fields: Anthropic's own.
const (
	DefaultBatchMaxRequests    = 100_000
	DefaultBatchMaxBytes       = 256 << 20
	DefaultBatchMaxResultBytes = 1 << 30
)

// BatchConfig configures a BatchClient; zero fields mean the defaults.
type BatchConfig struct {
	// MaxRequests bounds the requests of one message batch; more are
	// split into several batches. Default DefaultBatchMaxRequests.
	MaxRequests int
	// MaxBytes bounds the body of one POST /v1/messages/batches; a larger
	// one is split. Default DefaultBatchMaxBytes (256 MB).
	MaxBytes int64
	// MaxResultBytes bounds a batch's results read into memory. Default
	// DefaultBatchMaxResultBytes (1 GiB).
	MaxResultBytes int64
}

// BatchClient runs requests through Anthropic's Message Batches with the
// Provider's key, version, headers, client and model; each request's
// params are what Complete would send to /v1/messages. It is safe for
// concurrent use.
type BatchClient struct {
	p    *Provider
	cfg  BatchConfig
	base string // …/v1/messages/batches
}

var _ batchapi.Client = (*BatchClient)(nil)

// SchemaTarget is the provider's: a line carries the request as the
// provider would send it directly, so its schema is in the same dialect.
func (c *BatchClient) SchemaTarget(req *reask.Request) (dialect.Target, bool) {
	return c.p.SchemaTarget(req)
}

// NewBatchClient returns a batch client for p's server. It does not
// contact the server.
func NewBatchClient(p *Provider, cfg BatchConfig) *BatchClient {
	if cfg.MaxRequests <= 0 {
		cfg.MaxRequests = DefaultBatchMaxRequests
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultBatchMaxBytes
	}
	if cfg.MaxResultBytes <= 0 {
		cfg.MaxResultBytes = DefaultBatchMaxResultBytes
	}
	return &BatchClient{p: p, cfg: cfg, base: p.endpoint + "/batches"}
}

// customIDPattern is what Message Batches accept as a custom_id.
var customIDPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

func checkCustomID(id string) error {
	if !customIDPattern.MatchString(id) {
		return fmt.Errorf("custom_id %q: Message Batches want ^[a-zA-Z0-9_-]{1,64}$", id)
	}
	return nil
}

type batchRequest struct {
	CustomID string          `json:"custom_id"`
	Params   json.RawMessage `json:"params"`
}

// Submit creates message batches of at most MaxRequests requests and
// MaxBytes bytes each.
func (c *BatchClient) Submit(ctx context.Context, lines []batchapi.Line) ([]string, error) {
	if err := batchapi.CheckLines(lines, checkCustomID); err != nil {
		return nil, fmt.Errorf("%s: batch: %w", c.p.name, err)
	}
	enc := make([][]byte, len(lines))
	for i, l := range lines {
		params, err := c.p.encode(l.Request)
		if err != nil {
			return nil, fmt.Errorf("%s: batch line %q: encoding the request: %w", c.p.name, l.CustomID, err)
		}
		data, err := json.Marshal(batchRequest{CustomID: l.CustomID, Params: params})
		if err != nil {
			return nil, fmt.Errorf("%s: batch line %q: %w", c.p.name, l.CustomID, err)
		}
		enc[i] = data
	}
	const overhead = int64(len(`{"requests":[]}`))
	chunks, err := batchapi.Chunks(len(enc), func(i int) int64 { return int64(len(enc[i])) + 1 }, overhead, c.cfg.MaxRequests, c.cfg.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: batch: %w", c.p.name, err)
	}
	var ids []string
	for n, ch := range chunks {
		var body bytes.Buffer
		body.WriteString(`{"requests":[`)
		body.Write(bytes.Join(enc[ch[0]:ch[1]], []byte{','}))
		body.WriteString(`]}`)
		data, err := c.call(ctx, http.MethodPost, c.base, &body, c.p.cfg.MaxResponseBytes)
		if err != nil {
			var pe *reask.ProviderError
			if n == 0 && errors.As(err, &pe) && pe.StatusCode == http.StatusNotFound {
				return nil, fmt.Errorf("%s: POST /v1/messages/batches: %w: %w", c.p.name, batchapi.ErrUnsupported, err)
			}
			return ids, fmt.Errorf("%s: creating a message batch: %w", c.p.name, err)
		}
		var b batchObject
		if err := json.Unmarshal(data, &b); err != nil || b.ID == "" {
			return ids, fmt.Errorf("%s: creating a message batch: an answer without a batch id: %s", c.p.name, httpapi.Excerpt(data))
		}
		ids = append(ids, b.ID)
	}
	return ids, nil
}

// batchObject is what the client reads of a message batch.
type batchObject struct {
	ID                string  `json:"id"`
	ProcessingStatus  string  `json:"processing_status"`
	CancelInitiatedAt *string `json:"cancel_initiated_at"`
	ResultsURL        *string `json:"results_url"`
	RequestCounts     struct {
		Processing int `json:"processing"`
		Succeeded  int `json:"succeeded"`
		Errored    int `json:"errored"`
		Canceled   int `json:"canceled"`
		Expired    int `json:"expired"`
	} `json:"request_counts"`
}

// state maps processing_status onto batchapi's states: an ended batch is
// cancelled when a cancel was initiated, expired when requests expired,
// else completed.
func (b *batchObject) state() (batchapi.State, bool) {
	switch b.ProcessingStatus {
	case "in_progress":
		return batchapi.StateInProgress, true
	case "canceling":
		return batchapi.StateCancelling, true
	case "ended":
		switch {
		case b.CancelInitiatedAt != nil:
			return batchapi.StateCancelled, true
		case b.RequestCounts.Expired > 0:
			return batchapi.StateExpired, true
		}
		return batchapi.StateCompleted, true
	}
	return 0, false
}

func (c *BatchClient) get(ctx context.Context, id string) (batchObject, batchapi.State, error) {
	var b batchObject
	data, err := c.call(ctx, http.MethodGet, c.base+"/"+url.PathEscape(id), nil, c.p.cfg.MaxResponseBytes)
	if err != nil {
		return b, 0, fmt.Errorf("%s: message batch %s: %w", c.p.name, id, err)
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return b, 0, fmt.Errorf("%s: message batch %s: an unreadable batch object: %w", c.p.name, id, err)
	}
	st, ok := b.state()
	if !ok {
		return b, 0, fmt.Errorf("%s: message batch %s: unknown processing_status %q", c.p.name, id, b.ProcessingStatus)
	}
	return b, st, nil
}

// Status reads message batch id (GET /v1/messages/batches/{id}).
func (c *BatchClient) Status(ctx context.Context, id string) (batchapi.Status, error) {
	b, st, err := c.get(ctx, id)
	if err != nil {
		return batchapi.Status{}, err
	}
	n := b.RequestCounts
	return batchapi.Status{ID: b.ID, State: st, Total: n.Processing + n.Succeeded + n.Errored + n.Canceled + n.Expired,
		Succeeded: n.Succeeded, Failed: n.Errored + n.Canceled + n.Expired}, nil
}

// Cancel cancels message batch id (POST /v1/messages/batches/{id}/cancel).
func (c *BatchClient) Cancel(ctx context.Context, id string) error {
	if _, err := c.call(ctx, http.MethodPost, c.base+"/"+url.PathEscape(id)+"/cancel", nil, c.p.cfg.MaxResponseBytes); err != nil {
		return fmt.Errorf("%s: cancelling message batch %s: %w", c.p.name, id, err)
	}
	return nil
}

// batchResult is a line of a message batch's results.
type batchResult struct {
	CustomID string `json:"custom_id"`
	Result   struct {
		Type    string          `json:"type"`
		Message json.RawMessage `json:"message"`
		Error   json.RawMessage `json:"error"`
	} `json:"result"`
}

// errorStatus is the HTTP status the Messages API answers each error type
// with, so that an errored result is classified as Complete's error would be.
var errorStatus = map[string]int{
	"invalid_request_error": http.StatusBadRequest,
	"authentication_error":  http.StatusUnauthorized,
	"billing_error":         http.StatusPaymentRequired,
	"permission_error":      http.StatusForbidden,
	"not_found_error":       http.StatusNotFound,
	"request_too_large":     http.StatusRequestEntityTooLarge,
	"rate_limit_error":      http.StatusTooManyRequests,
	"api_error":             http.StatusInternalServerError,
	"overloaded_error":      529,
}

// Results fetches an ended batch's results_url and reads each line: a
// succeeded message decoded as Complete decodes one, an errored one as a
// *reask.ProviderError classified as Complete's (Classify; api_error is a
// server error), expired and canceled ones as *batchapi.LineError. The
// key goes only to a results_url on the API's own host.
func (c *BatchClient) Results(ctx context.Context, id string) ([]batchapi.Result, error) {
	b, st, err := c.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !st.Ended() || b.ResultsURL == nil {
		return nil, fmt.Errorf("%s: message batch %s is %q: %w", c.p.name, id, b.ProcessingStatus, batchapi.ErrNotEnded)
	}
	ru, err := url.Parse(*b.ResultsURL)
	bu, _ := url.Parse(c.base)
	if err != nil || ru.Host != bu.Host || ru.Scheme != bu.Scheme {
		return nil, fmt.Errorf("%s: message batch %s: results_url is not on the API's host (%s); the key is not sent elsewhere", c.p.name, id, bu.Host)
	}
	data, err := c.call(ctx, http.MethodGet, *b.ResultsURL, nil, c.cfg.MaxResultBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: message batch %s: fetching the results: %w", c.p.name, id, err)
	}
	var out []batchapi.Result
	n := 0
	for line := range bytes.Lines(data) {
		n++
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		r, err := c.readLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s: message batch %s: results line %d: %w", c.p.name, id, n, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func (c *BatchClient) readLine(line []byte) (batchapi.Result, error) {
	var l batchResult
	if err := json.Unmarshal(line, &l); err != nil {
		return batchapi.Result{}, err
	}
	if l.CustomID == "" {
		return batchapi.Result{}, errors.New("a result without a custom_id")
	}
	r := batchapi.Result{CustomID: l.CustomID}
	now := c.p.cfg.Clock.Now()
	switch l.Result.Type {
	case "succeeded":
		resp, err := decodeResponse(l.Result.Message)
		if err != nil {
			r.Err = &reask.ProviderError{Provider: c.p.name, StatusCode: http.StatusOK, Message: "an unreadable message: " + err.Error(), Kind: reask.KindServer}
			break
		}
		var m struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(l.Result.Message, &m)
		resp.RequestID = m.ID
		r.Response = resp
	case "errored":
		var e struct {
			Error struct {
				Type string `json:"type"`
			} `json:"error"`
		}
		_ = json.Unmarshal(l.Result.Error, &e)
		status, ok := errorStatus[e.Error.Type]
		if !ok {
			status = http.StatusInternalServerError
		}
		r.Err = ParseError(c.p.name, status, http.Header{}, l.Result.Error, now, c.p.cfg.APIKey)
	case "expired":
		r.Err = &batchapi.LineError{Provider: c.p.name, CustomID: l.CustomID, Code: "expired", Err: batchapi.ErrLineExpired}
	case "canceled":
		r.Err = &batchapi.LineError{Provider: c.p.name, CustomID: l.CustomID, Code: "canceled", Err: batchapi.ErrLineCancelled}
	default:
		return r, fmt.Errorf("custom_id %q: unknown result type %q", l.CustomID, l.Result.Type)
	}
	return r, nil
}

// call sends a request with the provider's key, version and headers and
// returns the body of a 2xx answer (at most limit bytes), else the error
// answer as ParseError reads it; the key is scrubbed from all of it.
func (c *BatchClient) call(ctx context.Context, method, u string, body io.Reader, limit int64) ([]byte, error) {
	hreq, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, c.p.scrub.Error(err)
	}
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	hreq.Header.Set("anthropic-version", c.p.cfg.Version)
	if c.p.cfg.APIKey != "" {
		hreq.Header.Set("x-api-key", c.p.cfg.APIKey.Reveal())
	}
	return httpapi.Fetch(c.p.cfg.HTTPClient, hreq, c.p.cfg.Headers, c.p.scrub, limit,
		func(status int, h http.Header, data []byte) *reask.ProviderError {
			return ParseError(c.p.name, status, h, data, c.p.cfg.Clock.Now(), c.p.cfg.APIKey)
		})
}
