// Package httpapi is the HTTP plumbing the provider packages share: a
// bounded body read, the wait a refused request asks for, no redirects,
// and keeping the API key out of every error.
package httpapi

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/ratelimit"
)

// ReadBody reads at most limit bytes of r; a longer body is an error.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("response body larger than the %d-byte limit", limit)
	}
	return data, nil
}

// Scrub removes the API key from an error's text, whole or masked (see
// Scrubber), should a transport ever echo a header back; the original
// error stays reachable with errors.As.
func Scrub(err error, key reask.Secret) error {
	return NewScrubber(key).Error(err)
}

type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// Complete fills in what every provider error needs beyond the body: the
// key redacted, whole or masked, from the message and the request id (a
// server may echo it), a redirect said
// to be one (see RedirectMessage), and the wait the provider asked for —
// Retry-After (or retry-after-ms), else, for a 429, the time until its
// exhausted quota is whole again.
func Complete(pe *reask.ProviderError, h http.Header, now time.Time, key reask.Secret) *reask.ProviderError {
	if msg := RedirectMessage(pe.StatusCode, h); msg != "" {
		pe.Message = msg
	}
	sc := NewScrubber(key)
	pe.Message = sc.String(pe.Message)
	pe.RequestID = sc.String(pe.RequestID)
	if d, ok := ratelimit.RetryAfter(h, now); ok {
		pe.RetryAfter = d
	} else if pe.StatusCode == http.StatusTooManyRequests {
		if d, ok := pe.RateLimit.ResetAfter(); ok {
			pe.RetryAfter = d
		}
	}
	return pe
}

// ErrorParser reads an API's error answer — its status, headers and body —
// into a *reask.ProviderError for the provider (or gateway upstream) called
// name: classified (Kind set from what the API documents), the key
// redacted and the wait the provider asked for filled in (see Complete).
// Each provider package has one (openai.ParseError, anthropic.ParseError);
// whoever reads a provider's errors picks its parser rather than knowing
// its codes.
type ErrorParser func(name string, status int, h http.Header, data []byte, now time.Time, key reask.Secret) *reask.ProviderError

// Excerpt is a body that is not the provider's JSON error, shortened for a
// message.
func Excerpt(data []byte) string {
	s := strings.TrimSpace(string(data))
	if len(s) <= 200 {
		return s
	}
	n := 200
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// WithoutRedirects returns the client to call an API with: c as it is
// when it sets its own CheckRedirect (the caller chose a policy), else a
// copy of c (or of the zero client, for nil) that follows no redirect,
// returning the 3xx answer instead. Following one would re-send the
// request — prompt, custom headers and, to the same host, the key — to
// wherever the server points. c itself is never changed.
func WithoutRedirects(c *http.Client) *http.Client {
	if c != nil && c.CheckRedirect != nil {
		return c
	}
	out := &http.Client{}
	if c != nil {
		cp := *c
		out = &cp
	}
	out.CheckRedirect = refuseRedirect
	return out
}

func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// RedirectMessage describes a redirect answer that was not followed,
// naming where it pointed (scheme and host only: a path or query may hold
// a token), or returns "" when status is not a redirect.
func RedirectMessage(status int, h http.Header) string {
	if status < 300 || status > 399 {
		return ""
	}
	where := "no Location"
	if u, err := url.Parse(h.Get("Location")); err == nil && u.Host != "" {
		where = u.Scheme + "://" + u.Host
	} else if err == nil && h.Get("Location") != "" {
		where = "the same host"
	}
	return fmt.Sprintf("the server redirected the request (to %s); redirects are not followed: fix the base URL", where)
}

// Fetch sends hreq (with headers added) and returns the body of a 2xx
// answer, at most limit bytes, or the error answer as parse reads it; s
// takes the key out of the answer's headers, its body and every error.
// It is the request both providers' batch clients make for every call.
func Fetch(client *http.Client, hreq *http.Request, headers map[string]string, s *Scrubber, limit int64,
	parse func(status int, h http.Header, data []byte) *reask.ProviderError) ([]byte, error) {
	for k, v := range headers {
		hreq.Header.Set(k, v)
	}
	hresp, err := client.Do(hreq)
	if err != nil {
		return nil, s.Error(err)
	}
	defer hresp.Body.Close()
	s.Header(hresp.Header)
	data, err := ReadBody(hresp.Body, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the response: %w", s.Error(err))
	}
	data = s.Bytes(data)
	if hresp.StatusCode/100 != 2 {
		return nil, parse(hresp.StatusCode, hresp.Header, data)
	}
	return data, nil
}
