package gateway

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/price"
	"github.com/reask/reask/stats"
)

// spendLimits keeps what each client key with a daily spend limit
// (Config.ClientDailyCost) spent today, days starting at midnight UTC on
// the gateway's clock. It counts in this process only. Safe for
// concurrent use.
type spendLimits struct {
	clock  clock.Clock
	prices *price.Table
	limits map[string]float64 // client label → US dollars per day

	mu    sync.Mutex
	spent map[string]daySpend
}

// daySpend is one client's spend on one UTC day.
type daySpend struct {
	day string // YYYY-MM-DD, UTC
	usd float64
}

func newSpendLimits(cfg Config, prices *price.Table) *spendLimits {
	if len(cfg.ClientDailyCost) == 0 {
		return nil
	}
	return &spendLimits{clock: cfg.Clock, prices: prices, limits: cfg.ClientDailyCost, spent: map[string]daySpend{}}
}

// spentToday returns what client spent on now's UTC day.
func (s *spendLimits) spentToday(client string, now time.Time) float64 {
	d := s.spent[client]
	if d.day != now.UTC().Format(time.DateOnly) {
		return 0
	}
	return d.usd
}

// admit tells whether client may send a request for model now, and
// answers it when not: 429 insufficient_quota once its daily limit is
// spent (Retry-After until midnight UTC), 400 model_unpriced for a model
// without a price, whose cost the limit could not count.
func (s *spendLimits) admit(w http.ResponseWriter, client, model string) bool {
	if s == nil {
		return true
	}
	limit, ok := s.limits[client]
	if !ok {
		return true
	}
	if _, _, priced := s.prices.Lookup(model); !priced {
		writeError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Param: ptr("model"), Code: ptr("model_unpriced"),
			Message: fmt.Sprintf("The model `%s` has no price, and this key has a daily spend limit that could not count what it costs.", model)})
		return false
	}
	now := s.clock.Now()
	s.mu.Lock()
	spent := s.spentToday(client, now)
	s.mu.Unlock()
	if spent < limit {
		return true
	}
	midnight := now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(midnight.Sub(now).Seconds()))))
	writeError(w, http.StatusTooManyRequests, apiError{Type: "insufficient_quota", Code: ptr("insufficient_quota"),
		Message: fmt.Sprintf("You exceeded this key's daily spend limit of %s (spent today: %s); it resets at midnight UTC.",
			stats.USD(limit), stats.USD(spent))})
	return false
}

// add counts a result's cost against client's day. A result without a
// price (a fallback to an unpriced model) cannot be counted: it is
// logged.
func (s *spendLimits) add(client string, rep *reask.Report, log *slog.Logger) {
	if s == nil || rep == nil {
		return
	}
	if _, ok := s.limits[client]; !ok {
		return
	}
	if rep.CostUSD == nil {
		log.Warn("gateway: a result of a key with a daily spend limit has no price; its cost is not counted",
			slog.String("client", client), slog.String("model", rep.Unpriced))
		return
	}
	now := s.clock.Now()
	day := now.UTC().Format(time.DateOnly)
	s.mu.Lock()
	d := s.spent[client]
	if d.day != day {
		d = daySpend{day: day}
	}
	d.usd += *rep.CostUSD
	s.spent[client] = d
	s.mu.Unlock()
}

// setCostHeader writes X-Reask-Cost-Usd: what the answer cost in US
// dollars, every attempt included, or "unpriced".
func setCostHeader(h http.Header, rep *reask.Report) {
	if rep.CostUSD == nil {
		h.Set("X-Reask-Cost-Usd", "unpriced")
		return
	}
	// Rounded to a ten-billionth of a dollar: sums of float prices carry
	// noise in the last digits.
	h.Set("X-Reask-Cost-Usd", strconv.FormatFloat(math.Round(*rep.CostUSD*1e10)/1e10, 'f', -1, 64))
}
