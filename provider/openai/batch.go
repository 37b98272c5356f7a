package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/reask/reask/schema/dialect"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/httpapi"
	"github.com/reask/reask/provider/batchapi"
)

// The Batch API's limits, for BatchConfig's zero fields: OpenAI's own.
const (
	DefaultBatchMaxLines       = 50_000
	DefaultBatchMaxBytes       = 200 << 20
	DefaultBatchMaxResultBytes = 1 << 30
)

// BatchConfig configures a BatchClient; zero fields mean the defaults.
type BatchConfig struct {
	// MaxLines bounds the lines of one batch's input file; more lines are
	// split into several batches. Default DefaultBatchMaxLines.
	MaxLines int
	// MaxBytes bounds one input file; a larger one is split. Default
	// DefaultBatchMaxBytes (200 MB).
	MaxBytes int64
	// MaxResultBytes bounds an output or error file read into memory.
	// Default DefaultBatchMaxResultBytes (1 GiB).
	MaxResultBytes int64
}

// BatchClient runs requests through OpenAI's Batch API (POST /v1/files,
// /v1/batches) with the Provider's key, headers, client and model; each
// line's body is the one Complete would send to /chat/completions. It is
// safe for concurrent use.
type BatchClient struct {
	p    *Provider
	cfg  BatchConfig
	base string
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
	if cfg.MaxLines <= 0 {
		cfg.MaxLines = DefaultBatchMaxLines
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultBatchMaxBytes
	}
	if cfg.MaxResultBytes <= 0 {
		cfg.MaxResultBytes = DefaultBatchMaxResultBytes
	}
	return &BatchClient{p: p, cfg: cfg, base: strings.TrimRight(p.cfg.BaseURL, "/")}
}

// batchInputLine is a line of the input file.
type batchInputLine struct {
	CustomID string          `json:"custom_id"`
	Method   string          `json:"method"`
	URL      string          `json:"url"`
	Body     json.RawMessage `json:"body"`
}

// Submit uploads lines as input files of at most MaxLines lines and
// MaxBytes bytes and creates a batch over each (completion window 24h).
func (c *BatchClient) Submit(ctx context.Context, lines []batchapi.Line) ([]string, error) {
	if err := batchapi.CheckLines(lines, nil); err != nil {
		return nil, fmt.Errorf("%s: batch: %w", c.p.name, err)
	}
	enc := make([][]byte, len(lines))
	for i, l := range lines {
		body, err := c.p.encode(l.Request)
		if err != nil {
			return nil, fmt.Errorf("%s: batch line %q: encoding the request: %w", c.p.name, l.CustomID, err)
		}
		data, err := json.Marshal(batchInputLine{CustomID: l.CustomID, Method: http.MethodPost, URL: "/v1/chat/completions", Body: body})
		if err != nil {
			return nil, fmt.Errorf("%s: batch line %q: %w", c.p.name, l.CustomID, err)
		}
		enc[i] = append(data, '\n')
	}
	chunks, err := batchapi.Chunks(len(enc), func(i int) int64 { return int64(len(enc[i])) }, 0, c.cfg.MaxLines, c.cfg.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: batch: %w", c.p.name, err)
	}
	var ids []string
	for n, ch := range chunks {
		id, err := c.submitFile(ctx, bytes.Join(enc[ch[0]:ch[1]], nil), n == 0)
		if err != nil {
			return ids, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// submitFile uploads one input file and creates its batch; on the first
// call a 404 means the server has no batch API.
func (c *BatchClient) submitFile(ctx context.Context, file []byte, first bool) (string, error) {
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	_ = mw.WriteField("purpose", "batch")
	fw, _ := mw.CreateFormFile("file", "reask-batch.jsonl")
	_, _ = fw.Write(file)
	_ = mw.Close()
	var f struct {
		ID string `json:"id"`
	}
	data, err := c.call(ctx, http.MethodPost, c.base+"/files", mw.FormDataContentType(), &form)
	if err != nil {
		var pe *reask.ProviderError
		if first && errors.As(err, &pe) && pe.StatusCode == http.StatusNotFound {
			return "", fmt.Errorf("%s: POST /files: %w: %w", c.p.name, batchapi.ErrUnsupported, err)
		}
		return "", fmt.Errorf("%s: uploading a batch input file: %w", c.p.name, err)
	}
	if err := json.Unmarshal(data, &f); err != nil || f.ID == "" {
		return "", fmt.Errorf("%s: uploading a batch input file: an answer without a file id: %s", c.p.name, httpapi.Excerpt(data))
	}
	create, _ := json.Marshal(map[string]string{"input_file_id": f.ID, "endpoint": "/v1/chat/completions", "completion_window": "24h"})
	data, err = c.call(ctx, http.MethodPost, c.base+"/batches", "application/json", bytes.NewReader(create))
	if err != nil {
		var pe *reask.ProviderError
		if first && errors.As(err, &pe) && pe.StatusCode == http.StatusNotFound {
			return "", fmt.Errorf("%s: POST /batches: %w: %w", c.p.name, batchapi.ErrUnsupported, err)
		}
		return "", fmt.Errorf("%s: creating a batch: %w", c.p.name, err)
	}
	var b batchObject
	if err := json.Unmarshal(data, &b); err != nil || b.ID == "" {
		return "", fmt.Errorf("%s: creating a batch: an answer without a batch id: %s", c.p.name, httpapi.Excerpt(data))
	}
	return b.ID, nil
}

// batchObject is what the client reads of a batch.
type batchObject struct {
	ID            string  `json:"id"`
	Status        string  `json:"status"`
	OutputFileID  *string `json:"output_file_id"`
	ErrorFileID   *string `json:"error_file_id"`
	RequestCounts struct {
		Total     int `json:"total"`
		Completed int `json:"completed"`
		Failed    int `json:"failed"`
	} `json:"request_counts"`
	Errors *struct {
		Data []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Line    *int   `json:"line"`
		} `json:"data"`
	} `json:"errors"`
}

var batchStates = map[string]batchapi.State{
	"validating":  batchapi.StateValidating,
	"in_progress": batchapi.StateInProgress,
	"finalizing":  batchapi.StateFinalizing,
	"cancelling":  batchapi.StateCancelling,
	"completed":   batchapi.StateCompleted,
	"expired":     batchapi.StateExpired,
	"cancelled":   batchapi.StateCancelled,
	"failed":      batchapi.StateFailed,
}

func (c *BatchClient) get(ctx context.Context, id string) (batchObject, error) {
	var b batchObject
	data, err := c.call(ctx, http.MethodGet, c.base+"/batches/"+url.PathEscape(id), "", nil)
	if err != nil {
		return b, fmt.Errorf("%s: batch %s: %w", c.p.name, id, err)
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return b, fmt.Errorf("%s: batch %s: an unreadable batch object: %w", c.p.name, id, err)
	}
	return b, nil
}

// Status reads batch id (GET /v1/batches/{id}).
func (c *BatchClient) Status(ctx context.Context, id string) (batchapi.Status, error) {
	b, err := c.get(ctx, id)
	if err != nil {
		return batchapi.Status{}, err
	}
	st, ok := batchStates[b.Status]
	if !ok {
		return batchapi.Status{}, fmt.Errorf("%s: batch %s: unknown status %q", c.p.name, id, b.Status)
	}
	out := batchapi.Status{ID: b.ID, State: st, Total: b.RequestCounts.Total,
		Succeeded: b.RequestCounts.Completed, Failed: b.RequestCounts.Failed}
	if b.Errors != nil {
		var msgs []string
		for _, e := range b.Errors.Data {
			msgs = append(msgs, e.Message)
		}
		out.Problem = strings.Join(msgs, "; ")
	}
	return out, nil
}

// Cancel cancels batch id (POST /v1/batches/{id}/cancel).
func (c *BatchClient) Cancel(ctx context.Context, id string) error {
	if _, err := c.call(ctx, http.MethodPost, c.base+"/batches/"+url.PathEscape(id)+"/cancel", "application/json", nil); err != nil {
		return fmt.Errorf("%s: cancelling batch %s: %w", c.p.name, id, err)
	}
	return nil
}

// batchOutputLine is a line of an output or error file.
type batchOutputLine struct {
	CustomID string `json:"custom_id"`
	Response *struct {
		StatusCode int             `json:"status_code"`
		RequestID  string          `json:"request_id"`
		Body       json.RawMessage `json:"body"`
	} `json:"response"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Results downloads an ended batch's output and error files and reads
// each line: a 2xx answer decoded as Complete decodes one, an error
// answer as a *reask.ProviderError classified as Complete's (Classify),
// batch_expired and batch_cancelled lines as *batchapi.LineError.
func (c *BatchClient) Results(ctx context.Context, id string) ([]batchapi.Result, error) {
	b, err := c.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if st, ok := batchStates[b.Status]; !ok || !st.Ended() {
		return nil, fmt.Errorf("%s: batch %s is %q: %w", c.p.name, id, b.Status, batchapi.ErrNotEnded)
	}
	var out []batchapi.Result
	for _, fid := range []*string{b.OutputFileID, b.ErrorFileID} {
		if fid == nil || *fid == "" {
			continue
		}
		data, err := c.callLimit(ctx, http.MethodGet, c.base+"/files/"+url.PathEscape(*fid)+"/content", "", nil, c.cfg.MaxResultBytes)
		if err != nil {
			return nil, fmt.Errorf("%s: batch %s: downloading file %s: %w", c.p.name, id, *fid, err)
		}
		n := 0
		for line := range bytes.Lines(data) {
			n++
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			r, err := c.readLine(line)
			if err != nil {
				return nil, fmt.Errorf("%s: batch %s: file %s line %d: %w", c.p.name, id, *fid, n, err)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func (c *BatchClient) readLine(line []byte) (batchapi.Result, error) {
	var l batchOutputLine
	if err := json.Unmarshal(line, &l); err != nil {
		return batchapi.Result{}, err
	}
	if l.CustomID == "" {
		return batchapi.Result{}, errors.New("a line without a custom_id")
	}
	r := batchapi.Result{CustomID: l.CustomID}
	switch {
	case l.Error != nil:
		switch l.Error.Code {
		case "batch_expired":
			r.Err = &batchapi.LineError{Provider: c.p.name, CustomID: l.CustomID, Code: l.Error.Code, Err: batchapi.ErrLineExpired}
		case "batch_cancelled", "batch_canceled":
			r.Err = &batchapi.LineError{Provider: c.p.name, CustomID: l.CustomID, Code: l.Error.Code, Err: batchapi.ErrLineCancelled}
		default:
			pe := &reask.ProviderError{Provider: c.p.name, Code: l.Error.Code, Message: l.Error.Message}
			pe.Kind = Classify(pe)
			if pe.Kind == reask.KindUnknown {
				pe.Kind = reask.KindServer // the provider failed the line: send it again
			}
			r.Err = httpapi.Complete(pe, http.Header{}, c.p.cfg.Clock.Now(), c.p.cfg.APIKey)
		}
	case l.Response == nil:
		return r, errors.New("a line with neither a response nor an error")
	case l.Response.StatusCode/100 != 2:
		h := http.Header{}
		h.Set("x-request-id", l.Response.RequestID)
		r.Err = ParseError(c.p.name, l.Response.StatusCode, h, l.Response.Body, c.p.cfg.Clock.Now(), c.p.cfg.APIKey)
	default:
		resp, err := decodeAnswer(l.Response.Body)
		if err != nil {
			pe := &reask.ProviderError{Provider: c.p.name, StatusCode: l.Response.StatusCode, RequestID: l.Response.RequestID,
				Message: "an unreadable answer: " + err.Error(), Kind: reask.KindServer}
			r.Err = pe
			break
		}
		resp.RequestID = l.Response.RequestID
		r.Response = resp
	}
	return r, nil
}

func (c *BatchClient) call(ctx context.Context, method, u, contentType string, body io.Reader) ([]byte, error) {
	return c.callLimit(ctx, method, u, contentType, body, c.p.cfg.MaxResponseBytes)
}

// callLimit sends a request with the provider's key and headers and
// returns the body of a 2xx answer (at most limit bytes), else the error
// answer as ParseError reads it; the key is scrubbed from all of it.
func (c *BatchClient) callLimit(ctx context.Context, method, u, contentType string, body io.Reader, limit int64) ([]byte, error) {
	hreq, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, c.p.scrub.Error(err)
	}
	if contentType != "" {
		hreq.Header.Set("Content-Type", contentType)
	}
	if c.p.cfg.APIKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.p.cfg.APIKey.Reveal())
	}
	return httpapi.Fetch(c.p.cfg.HTTPClient, hreq, c.p.cfg.Headers, c.p.scrub, limit,
		func(status int, h http.Header, data []byte) *reask.ProviderError {
			return ParseError(c.p.name, status, h, data, c.p.cfg.Clock.Now(), c.p.cfg.APIKey)
		})
}
