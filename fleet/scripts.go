package fleet

import (
	"embed"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/*.lua
var luaFiles embed.FS

// script returns the script made of the files named, in order.
func script(names ...string) *redis.Script {
	var src []byte
	for _, n := range names {
		b, err := luaFiles.ReadFile("lua/" + n)
		if err != nil {
			panic(err) // embedded at build time
		}
		src = append(append(src, b...), '\n')
	}
	return redis.NewScript(string(src))
}

var (
	limiterReserve     = script("limiter.lua", "limiter_reserve.lua")
	limiterFinish      = script("limiter.lua", "limiter_finish.lua")
	limiterCancel      = script("limiter.lua", "limiter_cancel.lua")
	limiterObserve     = script("limiter.lua", "limiter_observe.lua")
	limiterRateLimited = script("limiter.lua", "limiter_ratelimited.lua")
	limiterAdjust      = script("limiter.lua", "limiter_adjust.lua")
	limiterRepay       = script("limiter.lua", "limiter_repay.lua")
	breakerAllow       = script("breaker.lua", "breaker_allow.lua")
	breakerDone        = script("breaker.lua", "breaker_done.lua")
	budgetAdd          = script("budget.lua")
	registryBeat       = script("registry.lua")

	// allScripts are loaded by Check, so that the first calls need no
	// EVAL.
	allScripts = []*redis.Script{limiterReserve, limiterFinish, limiterCancel, limiterObserve,
		limiterRateLimited, limiterAdjust, limiterRepay, breakerAllow, breakerDone, budgetAdd, registryBeat}
)

// newEpoch returns a random epoch (or incarnation) for a script that may
// create its hash: one that a Redis restart or an expiry recreates gets a
// new one, so that what was issued before is recognised as stale.
func newEpoch() string { return strconv.FormatUint(rand.Uint64(), 36) }

// micros returns t as microseconds since the Unix epoch, the scripts' time.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is the inverse of micros; 0 is the zero time.
func fromMicros(us float64) time.Time {
	if us <= 0 {
		return time.Time{}
	}
	return time.UnixMicro(int64(math.Round(us)))
}

// microsToDuration rounds a script's µs up to a duration.
func microsToDuration(us float64) time.Duration {
	if us <= 0 {
		return 0
	}
	if us >= math.MaxInt64/float64(time.Microsecond) {
		return math.MaxInt64
	}
	return time.Duration(math.Ceil(us * float64(time.Microsecond)))
}

// reply reads a script's array reply.
type reply struct {
	v   []any
	err error
}

func (r *reply) at(i int) any {
	if r.err != nil {
		return nil
	}
	if i >= len(r.v) {
		r.err = fmt.Errorf("fleet: the script answered %d values, want more than %d", len(r.v), i)
		return nil
	}
	return r.v[i]
}

// float reads value i, a number or a string holding one.
func (r *reply) float(i int) float64 {
	switch v := r.at(i).(type) {
	case int64:
		return float64(v)
	case string:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil && r.err == nil {
			r.err = fmt.Errorf("fleet: the script answered %q at %d, not a number", v, i)
		}
		return f
	case nil:
		return 0
	default:
		if r.err == nil {
			r.err = fmt.Errorf("fleet: the script answered %T at %d, not a number", v, i)
		}
		return 0
	}
}

func (r *reply) int(i int) int64 { return int64(r.float(i)) }

func (r *reply) string(i int) string {
	switch v := r.at(i).(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}
