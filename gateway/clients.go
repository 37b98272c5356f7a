package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/reask/reask"
)

// clientAnonymous labels the requests of a gateway without client keys.
const clientAnonymous = "anonymous"

// maxClientName bounds a client key's name.
const maxClientName = 64

// checkClientName accepts the names a label may carry: short, and safe in
// a Prometheus label value, a log line and the dashboard.
func checkClientName(n string) error {
	if len(n) > maxClientName {
		return errors.New("longer than 64 characters")
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return errors.New("want letters, digits, '.', '_' or '-'")
		}
	}
	return nil
}

// clientLabels maps the SHA-256 of each client key to the label the
// dashboard and the metrics show for it: its configured name, or "key-"
// and the first 8 hex digits of the digest — stable across restarts, and
// not the key.
type clientLabels map[[sha256.Size]byte]string

func newClientLabels(keys []reask.Secret, names []string) clientLabels {
	m := clientLabels{}
	for i, k := range keys {
		sum := sha256.Sum256([]byte(k.Reveal()))
		if _, dup := m[sum]; dup {
			continue
		}
		label := "key-" + hex.EncodeToString(sum[:4])
		if i < len(names) && names[i] != "" {
			label = names[i]
		}
		m[sum] = label
	}
	return m
}

// of returns the label of the client key r presents as a bearer token, or
// "" for none known. Only authorized requests reach the routes that use
// it, so the map lookup tells nothing about the keys.
func (m clientLabels) of(r *http.Request) string {
	if len(m) == 0 {
		return clientAnonymous
	}
	k, ok := cutPrefixFold(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return m[sha256.Sum256([]byte(strings.TrimSpace(k)))]
}
