package breaker

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Set holds one breaker per key (reask uses "provider/model"), created on
// first use with the same settings. It is safe for concurrent use. The zero
// Set uses the default settings; NewSet validates settings.
//
// A Set never forgets a key: keys should come from a bounded set, such as
// the upstreams in a configuration.
type Set struct {
	settings Settings
	mu       sync.RWMutex
	m        map[string]*Breaker
}

// NewSet returns an empty set whose breakers use s, or an error matching
// ErrInvalidSettings.
func NewSet(s Settings) (*Set, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &Set{settings: s}, nil
}

// Get returns the breaker for key, creating it (closed) if needed.
func (s *Set) Get(key string) *Breaker {
	s.mu.RLock()
	b := s.m[key]
	s.mu.RUnlock()
	if b != nil {
		return b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b = s.m[key]; b == nil {
		if s.m == nil {
			s.m = make(map[string]*Breaker)
		}
		b = &Breaker{key: key}
		b.setup(s.settings)
		s.m[key] = b
	}
	return b
}

// Allow is Get(key).Allow(now).
func (s *Set) Allow(key string, now time.Time) (Ticket, error) {
	return s.Get(key).Allow(now)
}

// Status returns the status of every breaker at time now, sorted by key.
func (s *Set) Status(now time.Time) []Status {
	s.mu.RLock()
	bs := make([]*Breaker, 0, len(s.m))
	for _, b := range s.m {
		bs = append(bs, b)
	}
	s.mu.RUnlock()
	out := make([]Status, 0, len(bs))
	for _, b := range bs {
		out = append(out, b.Status(now))
	}
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.Key, b.Key) })
	return out
}
