package gateway_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/breaker"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/gateway"
)

// The reask settings the gateway sets itself are refused in Config.Reask,
// naming the gateway's own field, instead of being overwritten unseen; an
// unusable one is New's error, not every request's.
func TestReaskConfigTheGatewayOwnsIsRefused(t *testing.T) {
	up := gateway.Upstream{Name: "up", BaseURL: "http://127.0.0.1:1/v1"}
	for _, tc := range []struct {
		name  string
		reask reask.Config
		field string
	}{
		{"fallbacks", reask.Config{Fallbacks: []reask.Provider{nil}}, "Reask.Fallbacks"},
		{"mode", reask.Config{Mode: reask.ModeTools}, "Reask.Mode"},
		{"attempts", reask.Config{MaxAttempts: 2}, "Reask.MaxAttempts"},
		{"call timeout", reask.Config{CallTimeout: time.Second}, "Reask.CallTimeout"},
		{"clock", reask.Config{Clock: clock.System()}, "Reask.Clock"},
		{"logger", reask.Config{Logger: slog.Default()}, "Reask.Logger"},
		{"observer", reask.Config{Observer: func(context.Context, reask.Event) {}}, "Reask.Observer"},
		{"instructions", reask.Config{Instructions: "x"}, "Reask.Instructions"},
		{"schema in prompt", reask.Config{SchemaInPrompt: true}, "Reask.SchemaInPrompt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := gateway.New(gateway.Config{Upstreams: []gateway.Upstream{up}, Reask: tc.reask})
			var ce *gateway.ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Errorf("error %v, want a ConfigError for %s", err, tc.field)
			}
		})
	}
	_, err := gateway.New(gateway.Config{Upstreams: []gateway.Upstream{up}, Reask: reask.Config{Breaker: breaker.Settings{Window: -time.Second}}})
	if !errors.Is(err, reask.ErrInvalidInput) {
		t.Errorf("invalid breaker: error %v, want reask's ErrInvalidInput", err)
	}
	if _, err := gateway.New(gateway.Config{Upstreams: []gateway.Upstream{up}, Reask: reask.Config{MaxTransportRetries: -1, NoRetryBudget: true}}); err != nil {
		t.Errorf("retry settings: %v", err)
	}
}
