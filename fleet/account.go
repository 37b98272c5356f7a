package fleet

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
)

// Account is a provider account whose limits the fleet shares: the
// processes that name the same base URL, model and API key share one rate
// limiter, breaker and retry budget. The API key is only ever hashed: it is
// not sent to Redis, and Account prints and logs without it.
type Account struct {
	BaseURL, Model string
	APIKey         string
}

// Namespace returns the prefix of the account's keys: "reask:" and the
// first 128 bits of the SHA-256 of the base URL, model and API key, in hex.
func (a Account) Namespace() string {
	h := sha256.New()
	for _, part := range []string{a.BaseURL, a.Model, a.APIKey} {
		// Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
		h.Write(binary.AppendUvarint(nil, uint64(len(part))))
		h.Write([]byte(part))
	}
	return "reask:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// key returns the account's key for one policy.
func (a Account) key(policy string) string { return a.Namespace() + ":" + policy }

// String returns the base URL and model, without the API key.
func (a Account) String() string { return a.BaseURL + " " + a.Model }

// GoString is String, so that %#v does not print the API key either.
func (a Account) GoString() string { return "fleet.Account{" + a.String() + "}" }

// LogValue logs the account without its API key.
func (a Account) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", a.BaseURL), slog.String("model", a.Model), slog.String("api_key", "[redacted]"))
}
