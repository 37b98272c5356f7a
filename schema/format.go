package schema

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/net/idna"
)

// FormatLevel says how the "format" keyword is asserted. Its zero value,
// FormatLenient, is the default.
//
// The rule of each format, at FormatStrict and FormatLenient:
//
//   - email: strict, an RFC 5321 mailbox in ASCII — a dot-atom or quoted
//     local part of at most 64 bytes, "@", a hostname (see hostname) or an
//     address literal ("[192.0.2.1]", "[IPv6:2001:db8::1]"), 254 bytes in
//     all. Lenient, also an internationalized mailbox as idn-email reads it
//     (RFC 6531, what Pydantic's EmailStr accepts): "kwame.garcía14@mail.test".
//   - idn-email: strict, an RFC 6531 mailbox — the local part may hold any
//     printable non-ASCII character besides RFC 5322's atext, and the domain
//     is an idn-hostname; lenient, the same with a lenient idn-hostname.
//   - hostname: strict, RFC 1123 — labels of 1 to 63 letters, digits and
//     hyphens, not starting or ending with a hyphen, 253 bytes in all, one
//     trailing dot allowed. Lenient, also an internationalized name as
//     idn-hostname reads it: "bücher.example".
//   - idn-hostname: strict, IDNA2008 for registration (RFC 5890–5893): each
//     label valid as it stands, no mapping but ASCII letters' case (upper
//     case non-ASCII letters are refused); lenient, IDNA for lookup (UTS
//     #46): upper case, full-width forms and ideographic full stops are
//     mapped first ("Bücher。Example").
//   - every other format the validator knows (date, time, date-time,
//     duration, period, uuid, ipv4, ipv6, uri, iri, uri-reference,
//     iri-reference, uri-template, json-pointer, relative-json-pointer,
//     semver, regex): its RFC's rule, the same at both levels. Unknown
//     formats are annotations at every level.
//
// At FormatAnnotate no format is asserted (JSON Schema 2020-12's default)
// except regex: a pattern that does not compile is never what anyone meant.
type FormatLevel int

const (
	// FormatLenient asserts formats as users mean them: internationalized
	// addresses and host names are valid "email" and "hostname" values.
	FormatLenient FormatLevel = iota
	// FormatStrict asserts formats by the letter of their RFCs.
	FormatStrict
	// FormatAnnotate asserts no format (except regex); "format" only
	// describes the value to the model.
	FormatAnnotate
)

var formatLevelNames = [...]string{FormatLenient: "lenient", FormatStrict: "strict", FormatAnnotate: "annotate"}

// ErrFormatLevel is matched by the error for an unknown FormatLevel.
var ErrFormatLevel = errors.New("unknown format level")

// String returns "lenient", "strict" or "annotate".
func (l FormatLevel) String() string {
	if l < 0 || int(l) >= len(formatLevelNames) {
		return fmt.Sprintf("FormatLevel(%d)", int(l))
	}
	return formatLevelNames[l]
}

// ParseFormatLevel reads "lenient", "strict" or "annotate"; "" is lenient.
func ParseFormatLevel(s string) (FormatLevel, error) {
	if s == "" {
		return FormatLenient, nil
	}
	for l, name := range formatLevelNames {
		if s == name {
			return FormatLevel(l), nil
		}
	}
	return 0, fmt.Errorf("schema: %w %q: want lenient, strict or annotate", ErrFormatLevel, s)
}

// MarshalText writes the level's name.
func (l FormatLevel) MarshalText() ([]byte, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	return []byte(l.String()), nil
}

// UnmarshalText reads a level's name (see ParseFormatLevel).
func (l *FormatLevel) UnmarshalText(b []byte) error {
	v, err := ParseFormatLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

func (l FormatLevel) check() error {
	if l < 0 || int(l) >= len(formatLevelNames) {
		return fmt.Errorf("schema: %w %d", ErrFormatLevel, int(l))
	}
	return nil
}

// knownFormats are the formats the validator asserts, and the two it
// leaves out that this package adds. regex is not among them: it cannot be
// replaced.
var knownFormats = []string{
	"json-pointer", "relative-json-pointer", "uuid", "duration", "period", "ipv4", "ipv6",
	"hostname", "email", "date", "time", "date-time", "uri", "iri", "uri-reference",
	"iri-reference", "uri-template", "semver", "idn-email", "idn-hostname",
}

// register sets up jc to assert formats at level l. Formats are always
// compiled into the schema, so that descriptions and examples can name
// them; at FormatAnnotate their check accepts every value.
func (l FormatLevel) register(jc *jsonschema.Compiler) {
	jc.AssertFormat()
	switch l {
	case FormatAnnotate:
		for _, name := range knownFormats {
			jc.RegisterFormat(&jsonschema.Format{Name: name, Validate: func(any) error { return nil }})
		}
	case FormatStrict:
		jc.RegisterFormat(&jsonschema.Format{Name: "idn-hostname", Validate: stringCheck(strictIDNHostname)})
		jc.RegisterFormat(&jsonschema.Format{Name: "idn-email", Validate: stringCheck(strictIDNEmail)})
	default:
		jc.RegisterFormat(&jsonschema.Format{Name: "hostname", Validate: stringCheck(lenientHostname)})
		jc.RegisterFormat(&jsonschema.Format{Name: "email", Validate: stringCheck(lenientEmail)})
		jc.RegisterFormat(&jsonschema.Format{Name: "idn-hostname", Validate: stringCheck(lenientIDNHostname)})
		jc.RegisterFormat(&jsonschema.Format{Name: "idn-email", Validate: stringCheck(lenientIDNEmail)})
	}
}

// stringCheck adapts a check of strings to a format's Validate, which
// ignores values of other types.
func stringCheck(f func(string) error) func(any) error {
	return func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		return f(s)
	}
}

// builtin returns the validator's own check of a format, taken from a
// schema compiled for it, so that the strict rules stay the validator's.
func builtin(name string) func(string) error {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("reask:///format.json", map[string]any{"format": name}); err != nil {
		panic(err)
	}
	s, err := c.Compile("reask:///format.json")
	if err != nil || s.Format == nil {
		panic(fmt.Sprintf("schema: the validator has no format %q: %v", name, err))
	}
	return func(v string) error { return s.Format.Validate(v) }
}

var (
	builtinHostname = sync.OnceValue(func() func(string) error { return builtin("hostname") })
	builtinEmail    = sync.OnceValue(func() func(string) error { return builtin("email") })
)

// IDNA profiles: registration checks labels as they stand; lookup maps
// them first (case, width, dots). Both check lengths and the Bidi rule.
var (
	registrationProfile = idna.New(idna.ValidateForRegistration())
	lookupProfile       = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.VerifyDNSLength(true), idna.Transitional(false))
)

// idnHostname checks s with profile p: it must convert to ASCII, and the
// result must be an RFC 1123 hostname.
func idnHostname(p *idna.Profile, s string) error {
	ascii, err := p.ToASCII(strings.TrimSuffix(s, "."))
	if err != nil {
		return errors.New("not an internationalized host name: " + strings.TrimPrefix(err.Error(), "idna: "))
	}
	return builtinHostname()(ascii)
}

// strictIDNHostname checks s for registration, ASCII letters folded to lower
// case first: they are case-insensitive in every host name (RFC 4343).
func strictIDNHostname(s string) error {
	return idnHostname(registrationProfile, strings.Map(asciiLower, s))
}

func asciiLower(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + ('a' - 'A')
	}
	return r
}

func lenientIDNHostname(s string) error { return idnHostname(lookupProfile, s) }

// lenientHostname accepts what strict hostname accepts and IDNs.
func lenientHostname(s string) error {
	err := builtinHostname()(s)
	if err == nil || lenientIDNHostname(s) == nil {
		return nil
	}
	return err
}

func strictIDNEmail(s string) error  { return idnEmail(s, strictIDNHostname) }
func lenientIDNEmail(s string) error { return idnEmail(s, lenientIDNHostname) }

// lenientEmail accepts what strict email accepts and internationalized
// mailboxes.
func lenientEmail(s string) error {
	err := builtinEmail()(s)
	if err == nil || lenientIDNEmail(s) == nil {
		return nil
	}
	return err
}

// Lengths of RFC 5321 §4.5.3.1, in bytes, which RFC 6531 keeps.
const (
	maxMailboxBytes   = 254
	maxLocalPartBytes = 64
)

// idnEmail checks an RFC 6531 mailbox whose domain host checks.
func idnEmail(s string, host func(string) error) error {
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	if len(s) > maxMailboxBytes {
		return fmt.Errorf("more than %d bytes long", maxMailboxBytes)
	}
	at := strings.LastIndexByte(s, '@')
	if at == -1 {
		return errors.New("missing @")
	}
	local, domain := s[:at], s[at+1:]
	if err := localPart(local); err != nil {
		return err
	}
	if lit, ok := strings.CutPrefix(domain, "["); ok {
		lit, ok = strings.CutSuffix(lit, "]")
		if !ok {
			return errors.New("address literal without ]")
		}
		return addressLiteral(lit)
	}
	if domain == "" {
		return errors.New("empty domain")
	}
	if err := host(domain); err != nil {
		return fmt.Errorf("domain: %w", err)
	}
	return nil
}

// localPart checks RFC 6531's local part: a dot-atom of RFC 5322 atext and
// printable non-ASCII characters, or a quoted string without quotes or
// backslashes inside (as the validator's email reads it).
func localPart(local string) error {
	switch {
	case local == "":
		return errors.New("empty local part")
	case len(local) > maxLocalPartBytes:
		return fmt.Errorf("local part more than %d bytes long", maxLocalPartBytes)
	}
	if len(local) > 1 && strings.HasPrefix(local, `"`) && strings.HasSuffix(local, `"`) {
		inner := local[1 : len(local)-1]
		if strings.ContainsAny(inner, `"\`) {
			return errors.New("backslash and quote are not allowed within quoted local part")
		}
		for _, r := range inner {
			if r < ' ' || r == 0x7f || (r >= utf8.RuneSelf && !printable(r)) {
				return fmt.Errorf("invalid character %q", r)
			}
		}
		return nil
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return errors.New("local part starts or ends with a dot, or has two in a row")
	}
	for _, r := range local {
		switch {
		case r < utf8.RuneSelf && (isAlnum(r) || strings.ContainsRune(".!#$%&'*+-/=?^_`{|}~", r)):
		case r >= utf8.RuneSelf && printable(r):
		default:
			return fmt.Errorf("invalid character %q", r)
		}
	}
	return nil
}

// printable reports whether a non-ASCII character may stand in an address:
// a graphic character that is not white space.
func printable(r rune) bool { return unicode.IsGraphic(r) && !unicode.IsSpace(r) }

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// addressLiteral checks what stands between [ and ]: an IPv4 address or
// "IPv6:" and an IPv6 address.
func addressLiteral(lit string) error {
	if v6, ok := strings.CutPrefix(lit, "IPv6:"); ok {
		if a, err := netip.ParseAddr(v6); err == nil && a.Is6() && a.Zone() == "" {
			return nil
		}
		return errors.New("invalid IPv6 address literal")
	}
	if a, err := netip.ParseAddr(lit); err == nil && a.Is4() {
		return nil
	}
	return errors.New("invalid IPv4 address literal")
}
