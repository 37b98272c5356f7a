// Package httpapi is the HTTP plumbing the provider packages share: a
// bounded body read, the wait a refused request asks for, and keeping the
// API key out of every error.
package httpapi

import (
	"fmt"
	"io"
	"net/http"
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

// Scrub removes the API key from an error's text, should a transport ever
// echo a header back; the original error stays reachable with errors.As.
func Scrub(err error, key reask.Secret) error {
	if err == nil || key == "" || !strings.Contains(err.Error(), key.Reveal()) {
		return err
	}
	return &scrubbed{msg: strings.ReplaceAll(err.Error(), key.Reveal(), reask.Redacted), err: err}
}

type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// Complete fills in what every provider error needs beyond the body: the
// key redacted from the message (a server may echo it) and the wait the
// provider asked for — Retry-After (or retry-after-ms), else, for a 429,
// the time until its exhausted quota is whole again.
func Complete(pe *reask.ProviderError, h http.Header, now time.Time, key reask.Secret) *reask.ProviderError {
	if k := key.Reveal(); k != "" {
		pe.Message = strings.ReplaceAll(pe.Message, k, reask.Redacted)
	}
	if d, ok := ratelimit.RetryAfter(h, now); ok {
		pe.RetryAfter = d
	} else if pe.StatusCode == http.StatusTooManyRequests {
		if d, ok := pe.RateLimit.ResetAfter(); ok {
			pe.RetryAfter = d
		}
	}
	return pe
}

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
