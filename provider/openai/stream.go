package openai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/openaiwire"
	"github.com/reask/reask/internal/sse"
	"github.com/reask/reask/ratelimit"
)

// streamParams turn a request body into a streamed one: the answer comes
// as server-sent chat.completion.chunk events, the last chunk with the
// usage (stream_options.include_usage), then "data: [DONE]".
const streamParams = `"stream":true,"stream_options":{"include_usage":true},`

// stream sends a request body as a streamed chat completion, hands each
// piece of the answer to req.OnDelta as it arrives and returns the whole
// answer. A stream that ends before [DONE] — the connection dropped, a
// proxy that cut it, a body that just stops — fails with an error matching
// io.ErrUnexpectedEOF, which reask retries like a dropped connection: it
// is never taken for a short answer. A server that answers with a whole
// completion instead of a stream is read as one.
func (p *Provider) stream(ctx context.Context, req *reask.Request, body []byte) (*reask.Response, error) {
	// The body is a JSON object from encode: the stream's members go first.
	streamed := make([]byte, 0, len(body)+len(streamParams))
	streamed = append(append(append(streamed, '{'), streamParams...), body[1:]...)
	hresp, err := p.post(ctx, streamed, "text/event-stream")
	if err != nil {
		return nil, err
	}
	defer hresp.Body.Close()
	if ct, _, _ := mime.ParseMediaType(hresp.Header.Get("Content-Type")); hresp.StatusCode/100 != 2 || ct != "text/event-stream" {
		return p.answer(hresp)
	}
	s := openaiwire.Stream{Tools: req.Mode == reask.ModeTools}
	events := sse.NewReader(hresp.Body, 0, p.cfg.MaxResponseBytes)
	for !s.Done() {
		e, err := events.Next()
		if errors.Is(err, io.EOF) {
			break // Response says it ended without [DONE]
		}
		if err != nil {
			return nil, fmt.Errorf("%s: reading the stream: %w", p.name, p.scrub.Error(err))
		}
		piece, err := s.Add(p.scrub.Bytes(e.Data))
		var ee *openaiwire.ErrorEvent
		if errors.As(err, &ee) {
			// An error in a 200 stream: read as the error answer it is,
			// its status that of a server error unless it says otherwise.
			return nil, ParseError(p.name, http.StatusInternalServerError, hresp.Header, ee.Data, p.cfg.Clock.Now(), p.cfg.APIKey)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: reading the stream: %w", p.name, err)
		}
		if piece != "" {
			req.OnDelta(piece)
		}
	}
	resp, err := s.Response()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	resp.RequestID = hresp.Header.Get("x-request-id")
	resp.RateLimit, _ = ratelimit.ParseOpenAI(hresp.Header)
	return resp, nil
}
