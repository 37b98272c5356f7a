package gateway_test

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/gateway"
	"github.com/reask/reask/price"
)

// testPrices prices the tests' model at $1 per million prompt tokens and
// $2 per million completion tokens.
var testPrices = map[string]price.Price{model: {Input: 1, CachedInput: 1, Output: 2}}

// Every answer says what it cost in x-reask-cost-usd — a re-asked one its
// every attempt, a passed-through one its call — priced with the
// configuration's prices; a model without a price is "unpriced".
func TestCostHeader(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		prices     map[string]price.Price
		want       string // "" for the price of the answer's usage
	}{
		{"schema, re-asked", schemaRequest(""), testPrices, ""},
		{"passthrough", plainRequest(""), testPrices, ""},
		{"unpriced", schemaRequest(""), map[string]price.Price{}, "unpriced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, _ := newSim(t, reasked)
			gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
				c.Prices = tc.prices
				if len(tc.prices) == 0 {
					c.Reask.Prices, _ = price.Parse("none", []byte(`{"models": {}}`))
				}
			})
			status, h, b := call(t, gw, tc.body)
			if status != http.StatusOK {
				t.Fatalf("HTTP %d: %s", status, b)
			}
			got := h.Get("X-Reask-Cost-Usd")
			if tc.want != "" {
				if got != tc.want {
					t.Errorf("x-reask-cost-usd %q, want %q", got, tc.want)
				}
				return
			}
			cost, err := strconv.ParseFloat(got, 64)
			u := decode[struct {
				Usage struct {
					Prompt     int `json:"prompt_tokens"`
					Completion int `json:"completion_tokens"`
				} `json:"usage"`
			}](t, b).Usage
			want := (float64(u.Prompt) + 2*float64(u.Completion)) / 1e6
			if err != nil || u.Prompt == 0 || math.Abs(cost-want) > 1e-9 {
				t.Errorf("x-reask-cost-usd %q, want %v for usage %+v", got, want, u)
			}
		})
	}
}

// A request whose cost budget (max_cost) cannot hold its prompt is
// refused before any call, 400 cost_budget_exceeded.
func TestMaxCost(t *testing.T) {
	up, rec := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		c.Prices = map[string]price.Price{model: {Input: 1e6, CachedInput: 1e6, Output: 1}} // $1 a prompt token
		c.Reask.MaxCost = 5
	})
	status, _, b := call(t, gw, schemaRequest(""))
	if e := decode[errorBody](t, b); status != http.StatusBadRequest || code(e) != "cost_budget_exceeded" || len(rec.requests()) != 0 {
		t.Errorf("HTTP %d %s, %d upstream calls: want 400 cost_budget_exceeded and none", status, b, len(rec.requests()))
	}
}

// A client key with a daily spend limit gets 429 insufficient_quota once
// it has spent it, until midnight UTC; other keys are not affected, and a
// model without a price is refused for it.
func TestClientDailySpendLimit(t *testing.T) {
	up, _ := newSim(t, clean)
	clk := clock.NewFake(time.Date(2026, 5, 1, 23, 0, 0, 0, time.UTC))
	const other = "client-key-other"
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		c.Clock = clk
		c.Prices = testPrices
		c.ClientKeys = append(c.ClientKeys, other)
		c.ClientKeyNames = []string{"team-a", "team-b"}
		c.ClientDailyCost = map[string]float64{"team-a": 0.0001} // about two requests
	})
	post := func(key, body string) (int, http.Header, errorBody) {
		status, h, b := do(t, gw, http.MethodPost, "/v1/chat/completions", key, body)
		if status != http.StatusOK {
			return status, h, decode[errorBody](t, b)
		}
		return status, h, errorBody{}
	}
	n := 0
	for ; n < 10; n++ {
		if status, h, e := post(clientKey, schemaRequest("")); status != http.StatusOK {
			if status != http.StatusTooManyRequests || code(e) != "insufficient_quota" || e.Error.Type != "insufficient_quota" ||
				!strings.Contains(e.Error.Message, "daily spend limit of $0.0001") || h.Get("Retry-After") != "3600" {
				t.Fatalf("request %d: HTTP %d %+v, Retry-After %q", n+1, status, e, h.Get("Retry-After"))
			}
			break
		}
	}
	if n == 0 || n == 10 {
		t.Fatalf("%d requests passed before the limit", n)
	}
	if status, _, e := post(other, schemaRequest("")); status != http.StatusOK {
		t.Errorf("another key: HTTP %d %+v", status, e)
	}
	if status, _, e := post(clientKey, strings.Replace(plainRequest(""), model, "llama3.1", 1)); status != http.StatusBadRequest || code(e) != "model_unpriced" {
		t.Errorf("unpriced model: HTTP %d %+v", status, e)
	}
	clk.Advance(time.Hour) // midnight UTC: a new day
	if status, _, e := post(clientKey, schemaRequest("")); status != http.StatusOK {
		t.Errorf("the next day: HTTP %d %+v", status, e)
	}
}

func TestCostConfig(t *testing.T) {
	env := func(k string) string { return map[string]string{"A_KEY": "key-a-123", "B_KEY": "key-b-456"}[k] }
	c, err := gateway.ParseConfig([]byte(`{"upstreams":[{"name":"u","base_url":"http://127.0.0.1:1/v1"}],
		"client_keys":[{"name":"a","key_env":"A_KEY","max_daily_cost":2.5},{"name":"b","key_env":"B_KEY"}],
		"prices":{"llama3.1":{"input":0,"output":0},"gpt-4o":{"input":2,"output":8,"cached_input":1}},"max_cost":0.05}`), env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Reask.MaxCost != 0.05 || len(c.ClientDailyCost) != 1 || c.ClientDailyCost["a"] != 2.5 ||
		c.Prices["gpt-4o"] != (price.Price{Input: 2, CachedInput: 1, Output: 8}) || len(c.Prices) != 2 {
		t.Errorf("config %+v %+v %v", c.Prices, c.ClientDailyCost, c.Reask.MaxCost)
	}
	up := `{"upstreams":[{"name":"u","base_url":"http://127.0.0.1:1/v1"}]`
	for _, tc := range []struct{ name, data, field string }{
		{"negative price", up + `,"prices":{"m":{"input":-1,"output":1}}}`, `prices["m"].input`},
		{"unknown price field", up + `,"prices":{"m":{"input":1,"outptu":1}}}`, `prices["m"].outptu`},
		{"price not an object", up + `,"prices":{"m":1}}`, `prices["m"]`},
		{"negative max cost", up + `,"max_cost":-1}`, "max_cost"},
		{"negative daily cost", up + `,"client_keys":[{"name":"a","key_env":"A_KEY","max_daily_cost":-3}]}`, "client_keys[0].max_daily_cost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := gateway.ParseConfig([]byte(tc.data), env)
			var ce *gateway.ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Errorf("error %v, want one naming %s", err, tc.field)
			}
		})
	}
	base := gateway.Config{Upstreams: []gateway.Upstream{{Name: "u", BaseURL: "http://127.0.0.1:1/v1"}}}
	noKeys := base
	noKeys.ClientDailyCost = map[string]float64{"a": 1}
	unknown := base
	unknown.ClientKeys, unknown.ClientKeyNames, unknown.ClientDailyCost = []reask.Secret{"k-123"}, []string{"a"}, map[string]float64{"b": 1}
	for _, c := range []gateway.Config{noKeys, unknown} {
		if err := c.Validate(); !errors.Is(err, gateway.ErrConfig) {
			t.Errorf("%v: %v", c.ClientDailyCost, err)
		}
	}
}
