package jobs

import (
	"errors"
	"testing"

	"github.com/reask/reask/fleet"
)

// TestCheckVersion checks the Redis versions accepted: 6.2 and later.
func TestCheckVersion(t *testing.T) {
	tests := []struct {
		info string
		ok   bool
	}{
		{"# Server\r\nredis_version:7.0.15\r\n", true},
		{"redis_version:6.2.0\r\n", true},
		{"redis_version:10.0\r\n", true},
		{"redis_version:6.0.16\r\n", false},
		{"redis_version:5.0.7\r\n", false},
		{"# Server\r\nos:Linux\r\n", false},
	}
	for _, tt := range tests {
		err := checkVersion(tt.info)
		if (err == nil) != tt.ok || err != nil && !errors.Is(err, fleet.ErrVersion) {
			t.Errorf("checkVersion(%q) = %v, want ok %v (else ErrVersion)", tt.info, err, tt.ok)
		}
	}
}
