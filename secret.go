package reask

import "log/slog"

// redacted is how secrets print everywhere: logs, errors, reports, dumps
// (Secret.String).
const redacted = "[redacted]"

// Secret holds a credential. It prints, formats, logs and marshals as
// "[redacted]", so an API key cannot leak through a log line or a report by
// accident; Reveal returns the value for the one place that needs it.
type Secret string

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]" (or "" for an empty secret, so that "is it
// set?" stays visible).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString redacts %#v too.
func (s Secret) GoString() string { return `reask.Secret("` + s.String() + `")` }

// LogValue redacts the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText redacts the secret in JSON, YAML and friends.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
