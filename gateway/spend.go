package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/fleet"
	"github.com/reask/reask/price"
	"github.com/reask/reask/stats"
)

// spendLimits keeps what each client key with a daily spend limit
// (Config.ClientDailyCost) spent today, days starting at midnight UTC on
// the gateway's clock. In fleet mode (Config.Redis) the day's spend is the
// fleet's, in one Redis counter per key and day (fleet.Spend) read before
// each request and increased after each; while Redis cannot be used the
// limit falls back to this process's own count (fail-open, as the fleet's
// policies do: counted and logged by the fleet's Store), and what it
// spent meanwhile is added to the fleet's counter once Redis answers
// again. Safe for concurrent use.
type spendLimits struct {
	clock  clock.Clock
	prices *price.Table
	limits map[string]float64 // client label → US dollars per day
	fleet  *fleet.Spend       // nil outside fleet mode
	ids    map[string]string  // client label → its fleet.SpendID

	mu    sync.Mutex
	spent map[string]daySpend
}

// daySpend is one client's spend on one UTC day.
type daySpend struct {
	day string // YYYY-MM-DD, UTC
	usd float64
	// fleet is the fleet's spend last read from or written to Redis;
	// unsent what this process spent that Redis has not counted yet.
	fleet, unsent float64
}

func newSpendLimits(cfg Config, prices *price.Table) *spendLimits {
	if len(cfg.ClientDailyCost) == 0 {
		return nil
	}
	return &spendLimits{clock: cfg.Clock, prices: prices, limits: cfg.ClientDailyCost, spent: map[string]daySpend{}}
}

// shareWith makes the limits the fleet's, counted in store. A label's
// counter is named by the hashes of the client keys that carry it (one key
// in the usual case), so that the replicas of a fleet configured with the
// same keys share it whatever the keys' names, and Redis never sees a key.
func (s *spendLimits) shareWith(store *fleet.Store, keys []reask.Secret, labels clientLabels) {
	if s == nil {
		return
	}
	byLabel := map[string][]string{}
	for _, k := range keys {
		sum := sha256.Sum256([]byte(k.Reveal()))
		label := labels[sum]
		if _, limited := s.limits[label]; limited {
			byLabel[label] = append(byLabel[label], hex.EncodeToString(sum[:]))
		}
	}
	s.ids = map[string]string{}
	for label, hashes := range byLabel {
		slices.Sort(hashes)
		hashes = slices.Compact(hashes)
		s.ids[label] = fleet.SpendID(strings.Join(hashes, ","))
	}
	s.fleet = store.Spend()
}

// today returns client's spend record for now's UTC day.
func (s *spendLimits) today(client string, now time.Time) daySpend {
	day := now.UTC().Format(time.DateOnly)
	if d := s.spent[client]; d.day == day {
		return d
	}
	return daySpend{day: day}
}

// spentToday returns what client spent on now's UTC day: the fleet's
// spend in fleet mode (one Redis round trip, none once the limit is known
// to be spent and Redis has everything this process spent), else, or
// while Redis cannot be used, this process's.
func (s *spendLimits) spentToday(ctx context.Context, client string, limit float64, now time.Time) float64 {
	s.mu.Lock()
	d := s.today(client, now)
	s.mu.Unlock()
	known := max(d.usd, d.fleet+d.unsent)
	id, shared := s.ids[client]
	if s.fleet == nil || !shared || known >= limit && d.unsent == 0 {
		return known // spend only grows within a day: no need to ask
	}
	return s.sync(ctx, client, id, now)
}

// sync sends Redis what client spent that it has not counted yet, or,
// with nothing to send, reads the fleet's spend; it returns the day's
// spend as known then. When Redis cannot be used (the Store counted and
// logged it), the amount is kept to send with the next call: fail-open to
// this process's count.
func (s *spendLimits) sync(ctx context.Context, client, id string, now time.Time) float64 {
	s.mu.Lock()
	d := s.today(client, now)
	send := d.unsent
	d.unsent = 0 // taken by this call; given back if it fails
	s.spent[client] = d
	s.mu.Unlock()
	var total float64
	var err error
	if send > 0 {
		// The spend happened whether or not the client still waits.
		total, err = s.fleet.Add(context.WithoutCancel(ctx), id, now, send)
	} else {
		total, err = s.fleet.Spent(ctx, id, now)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spent[client].day != d.day {
		return 0 // the day ended meanwhile
	}
	d = s.spent[client]
	if err != nil {
		d.unsent += send
	} else {
		d.fleet = max(d.fleet, total)
	}
	s.spent[client] = d
	return max(d.usd, d.fleet+d.unsent)
}

// admit tells whether client may send a request for model now, and
// answers it when not: 429 insufficient_quota once its daily limit is
// spent (Retry-After until midnight UTC), 400 model_unpriced for a model
// without a price, whose cost the limit could not count.
func (s *spendLimits) admit(ctx context.Context, w http.ResponseWriter, client, model string) bool {
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
	spent := s.spentToday(ctx, client, limit, now)
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

// add counts a result's cost against client's day, in this process and,
// in fleet mode, in Redis (with what Redis missed while it could not be
// used). A result without a price (a fallback to an unpriced model)
// cannot be counted: it is logged.
func (s *spendLimits) add(ctx context.Context, client string, rep *reask.Report, log *slog.Logger) {
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
	id, shared := s.ids[client]
	shared = shared && s.fleet != nil
	s.mu.Lock()
	d := s.today(client, now)
	d.usd += *rep.CostUSD
	if shared {
		d.unsent += *rep.CostUSD
	}
	s.spent[client] = d
	s.mu.Unlock()
	if shared {
		s.sync(ctx, client, id, now)
	}
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
