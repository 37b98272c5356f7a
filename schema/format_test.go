package schema_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/reask/reask/schema"
)

// Accepted (true) and refused (false) values of each format, at each level.
// The first rows are issue 12, item 9: internationalized addresses that
// Pydantic's EmailStr accepts.
func TestFormats(t *testing.T) {
	type want struct{ strict, lenient bool }
	tests := []struct {
		format, value string
		want          want
	}{
		{"email", "kwame.garcía14@mail.test", want{false, true}},
		{"email", "用户@例子.广告", want{false, true}},
		{"email", "josé@bücher.example", want{false, true}},
		{"email", "john.doe@example.com", want{true, true}},
		{"email", `"john doe"@example.com`, want{true, true}},
		{"email", "x@[192.0.2.1]", want{true, true}},
		{"email", "x@[IPv6:2001:db8::1]", want{true, true}},
		{"email", "john@localhost", want{true, true}},
		{"email", "john.example.com", want{false, false}},
		{"email", "john..doe@example.com", want{false, false}},
		{"email", ".john@example.com", want{false, false}},
		{"email", "john doe@example.com", want{false, false}},
		{"email", "josé garcía@example.com", want{false, false}},
		{"email", "john@-example.com", want{false, false}},
		{"email", "john@", want{false, false}},
		{"email", "john@[300.1.1.1]", want{false, false}},
		{"email", "josé\u00a0x@example.com", want{false, false}}, // no-break space

		{"idn-email", "kwame.garcía14@mail.test", want{true, true}},
		{"idn-email", "用户@例子.广告", want{true, true}},
		{"idn-email", "john@example.com", want{true, true}},
		{"idn-email", "josé@Bücher.Example", want{true, true}}, // ASCII case folds
		{"idn-email", "josé@BÜCHER.example", want{false, true}},
		{"idn-email", "josé@bücher。example", want{false, true}}, // ideographic full stop
		{"idn-email", "josé", want{false, false}},
		{"idn-email", "jo\x01sé@example.com", want{false, false}},

		{"hostname", "example.com", want{true, true}},
		{"hostname", "Example.COM.", want{true, true}},
		{"hostname", "xn--bcher-kva.example", want{true, true}},
		{"hostname", "bücher.example", want{false, true}},
		{"hostname", "例子.广告", want{false, true}},
		{"hostname", "-bad.example", want{false, false}},
		{"hostname", "under_score.example", want{false, false}},
		{"hostname", "a..b", want{false, false}},
		{"hostname", "bücher example", want{false, false}},

		{"idn-hostname", "bücher.example", want{true, true}},
		{"idn-hostname", "Bücher.example", want{true, true}},
		{"idn-hostname", "BÜCHER.example", want{false, true}},
		{"idn-hostname", "ｂücher.example", want{false, true}}, // full-width b
		{"idn-hostname", "example.com", want{true, true}},
		{"idn-hostname", "xn--zz.example", want{false, false}}, // not Punycode
		{"idn-hostname", "-bücher.example", want{false, false}},

		{"date", "2024-01-31", want{true, true}},
		{"date", "2024-02-30", want{false, false}},
		{"date-time", "2024-01-31T09:30:00Z", want{true, true}},
		{"date-time", "2024-01-31 09:30", want{false, false}},
		{"uri", "https://example.com/a?b", want{true, true}},
		{"uri", "example.com", want{false, false}},
		{"uuid", "123e4567-e89b-12d3-a456-426614174000", want{true, true}},
		{"uuid", "123e4567", want{false, false}},
		{"ipv4", "192.0.2.1", want{true, true}},
		{"ipv4", "192.0.2.01", want{false, false}},
	}
	levels := []struct {
		level schema.FormatLevel
		pick  func(want) bool
	}{
		{schema.FormatStrict, func(w want) bool { return w.strict }},
		{schema.FormatLenient, func(w want) bool { return w.lenient }},
		{schema.FormatAnnotate, func(want) bool { return true }},
	}
	for _, lv := range levels {
		cache := map[string]*schema.Schema{}
		for _, tt := range tests {
			t.Run(lv.level.String()+"/"+tt.format+"/"+tt.value, func(t *testing.T) {
				s := cache[tt.format]
				if s == nil {
					var err error
					s, err = schema.Config{Formats: lv.level}.Compile([]byte(`{"type":"string","format":"` + tt.format + `"}`))
					if err != nil {
						t.Fatal(err)
					}
					cache[tt.format] = s
				}
				vs := s.Validate(tt.value)
				if got, want := vs == nil, lv.pick(tt.want); got != want {
					t.Errorf("valid = %t, want %t (%v)", got, want, vs)
				}
			})
		}
	}
}

// The default is lenient: Compile accepts the report's address.
func TestFormatDefaultIsLenient(t *testing.T) {
	s := schema.MustCompile(`{"type":"object","properties":{"email":{"type":"string","format":"email"}}}`)
	if vs := s.Validate(map[string]any{"email": "kwame.garcía14@mail.test"}); vs != nil {
		t.Errorf("Validate: %v", vs)
	}
	if vs := s.Validate(map[string]any{"email": "kwame"}); len(vs) != 1 || vs[0].Problem != "not a valid email" {
		t.Errorf("Validate: %v, want one violation \"not a valid email\"", vs)
	}
}

// At annotate, formats still describe the value to the model.
func TestFormatAnnotateDescribes(t *testing.T) {
	s, err := schema.Config{Formats: schema.FormatAnnotate}.Compile([]byte(`{"type":"string","format":"email"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Root().Describe(), "string (format email)"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	if got := s.Root().Example(); got != "name@example.com" {
		t.Errorf("Example = %v", got)
	}
}

// A patch schema keeps the level of the schema it is cut from.
func TestSubsetKeepsConfig(t *testing.T) {
	cfg := schema.Config{Formats: schema.FormatStrict}
	s, err := cfg.Compile([]byte(`{"type":"object","properties":{"e":{"type":"string","format":"email"},"n":{"type":"string"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := s.Subset([]string{"e"})
	if err != nil {
		t.Fatal(err)
	}
	if sub.Config() != cfg {
		t.Errorf("Subset's config %+v, want %+v", sub.Config(), cfg)
	}
	if vs := sub.Validate(map[string]any{"e": "josé@example.com"}); vs == nil {
		t.Error("strict patch schema accepts an internationalized address")
	}
}

func TestFormatLevelText(t *testing.T) {
	for _, l := range []schema.FormatLevel{schema.FormatLenient, schema.FormatStrict, schema.FormatAnnotate} {
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		var back schema.FormatLevel
		if err := json.Unmarshal(b, &back); err != nil || back != l {
			t.Errorf("%s: round trip gave %v, %v", b, back, err)
		}
	}
	var cfg schema.Config
	if err := json.Unmarshal([]byte(`{"max_depth":8,"formats":"strict"}`), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.MaxDepth != 8 || cfg.Formats != schema.FormatStrict {
		t.Errorf("decoded %+v", cfg)
	}
	if _, err := schema.ParseFormatLevel("loose"); !errors.Is(err, schema.ErrFormatLevel) {
		t.Errorf("ParseFormatLevel(loose): %v", err)
	}
	if _, err := (schema.Config{Formats: 7}).Compile([]byte(`{}`)); !errors.Is(err, schema.ErrFormatLevel) {
		t.Errorf("Compile with level 7: %v", err)
	}
}
