// Package cache keeps validated extraction results so that the same
// request, asked again, is answered without a model call: a local file
// store (package cache/disk, one bbolt file) for the CLI and the library, and the fleet's
// Redis (package fleet) for gateways and workers.
//
// A key (Key) hashes everything that decides an answer: the provider and
// model, the full request (messages, schema, mode, temperature, tools) and
// the version of reask's prompt template, so that a changed schema or field
// description misses. Only validated results are stored, never errors.
//
// A store that fails — a directory that cannot be written, a Redis that
// does not answer — never fails an extraction: the error is logged and
// counted (Report.CacheErrors) and the model is called as without a cache.
package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Store holds cached results by key. Implementations are safe for
// concurrent use.
type Store interface {
	// Get returns the value stored under key; ok is false when there is
	// none or it has expired.
	Get(ctx context.Context, key string) (val []byte, ok bool, err error)
	// Put stores val under key, replacing what was there. A value over the
	// store's size limit is not stored and is not an error.
	Put(ctx context.Context, key string, val []byte) error
}

// Outcome is what the cache did for one extraction.
type Outcome string

const (
	// Hit: the result came from the cache, with no model call.
	Hit Outcome = "hit"
	// Miss: the cache was consulted and held nothing usable.
	Miss Outcome = "miss"
)

// ErrUnavailable matches the errors of a store that could not be opened
// (Unavailable).
var ErrUnavailable = errors.New("cache: unavailable")

// DefaultTTL is how long a result is kept when no TTL is configured.
const DefaultTTL = 30 * 24 * time.Hour

// DefaultMaxBytes bounds the values of a cache/disk Store in total when no limit is
// configured: 256 MiB.
const DefaultMaxBytes = 256 << 20

// DefaultMaxEntryBytes bounds one stored value when no limit is
// configured: 1 MiB. A larger result is not stored.
const DefaultMaxEntryBytes = 1 << 20

// Key returns the key of a request: the hex SHA-256 of version and the
// request's canonical bytes (the caller's encoding of provider, model,
// messages, schema, mode, temperature and tools). 64 hex digits.
func Key(version string, request []byte) string {
	h := sha256.New()
	h.Write([]byte(version))
	h.Write([]byte{0})
	h.Write(request)
	return hex.EncodeToString(h.Sum(nil))
}

type offKey struct{}

// Off returns a context under which extractions neither read nor write
// the cache: the gateway's per-request "x-reask-cache: off".
func Off(ctx context.Context) context.Context { return context.WithValue(ctx, offKey{}, true) }

// IsOff reports whether ctx came from Off.
func IsOff(ctx context.Context) bool { v, _ := ctx.Value(offKey{}).(bool); return v }

// Unavailable returns a store whose every call fails with err (matching
// ErrUnavailable): what a CLI uses when its cache file cannot be opened,
// so that each extraction logs and counts the degradation and goes on.
func Unavailable(err error) Store { return unavailable{err} }

type unavailable struct{ err error }

func (u unavailable) Get(context.Context, string) ([]byte, bool, error) {
	return nil, false, fmt.Errorf("%w: %w", ErrUnavailable, u.err)
}

func (u unavailable) Put(context.Context, string, []byte) error {
	return fmt.Errorf("%w: %w", ErrUnavailable, u.err)
}
