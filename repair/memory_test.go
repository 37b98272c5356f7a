package repair

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// allocated returns the bytes f allocates, from cold: the parser pool is
// emptied first (two collections), as for one large call.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// candidateFloods are texts of many small values, broken or not, one after
// another: '{a:b ' repeated, 4 MB of it, took 531 MB before each dropped
// candidate gave its memory back.
var candidateFloods = []string{`'{a:b '`, `{a:b `, `{a:b, `, `{"a":"b `, `'{a:'b `, "`{a:b ", `[{a:b `, `{a:b}`, `{a:b},`, `[1]`}

// TestMemoryBounded: whatever the input, a repair allocates (garbage
// included) less than 20 times the input, given a bound on the fixes it may
// hold — each kept fix costs some 150 bytes more, see TestMemoryPerFix.
func TestMemoryBounded(t *testing.T) {
	const size = 512 << 10
	type input struct {
		name string
		in   []byte
	}
	var inputs []input
	for _, p := range candidateFloods {
		inputs = append(inputs, input{p + " repeated", bytes.Repeat([]byte(p), size/len(p))})
	}
	for _, h := range hostileInputs() {
		inputs = append(inputs, input{h.name, h.in})
	}
	opts := Options{MaxDepth: MaxDepthCeiling, MaxFixes: 10_000}
	for _, tt := range inputs {
		t.Run(tt.name, func(t *testing.T) {
			for _, run := range []struct {
				name string
				f    func() error
			}{
				{"Parse", func() error { _, err := Parse(tt.in, opts); return err }},
				{"Repair", func() error { _, _, err := Repair(tt.in, opts); return err }},
			} {
				var err error
				got := allocated(func() { err = run.f() })
				if ratio := float64(got) / float64(len(tt.in)); ratio >= 20 {
					t.Errorf("%s allocated %d bytes for %d in: %.1f× the input (%v)", run.name, got, len(tt.in), ratio, err)
				}
			}
		})
	}
}

// TestMemoryPerFix: on a document needing a fix every two bytes, memory is
// the input's small multiple plus about 150 bytes a fix (one in the list
// being built, one in the result), within 300.
func TestMemoryPerFix(t *testing.T) {
	in := append(append([]byte("{"), bytes.Repeat([]byte("a:b,"), 64<<10)...), '}')
	var res *Result
	var err error
	got := allocated(func() { res, err = Parse(in, Options{}) })
	if err != nil {
		t.Fatal(err)
	}
	if limit := 20*uint64(len(in)) + 300*uint64(len(res.Fixes)); got > limit {
		t.Errorf("allocated %d bytes for %d in and %d fixes, over %d", got, len(in), len(res.Fixes), limit)
	}
}

func TestMaxFixes(t *testing.T) {
	doc := "{" + strings.Repeat("a:b,", 100) + "}" // 201 fixes: 100 keys, 100 values, a trailing comma
	tests := []struct {
		name string
		in   string
		max  int
		want error
	}{
		{"at the limit", doc, 201, nil},
		{"over", doc, 200, ErrTooManyFixes},
		{"no limit", doc, -1, nil},
		{"default", doc, 0, nil},
		// The fixes of candidates set aside are not held, so do not count.
		{"many small values", strings.Repeat("{a:b} ", 1000), 10, nil},
		{"many broken values", strings.Repeat("{a:b ", 1000), 10, ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in), Options{MaxFixes: tt.max})
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == ErrTooManyFixes && !strings.Contains(err.Error(), "more than 200 by byte 400 (Options.MaxFixes)") {
				t.Errorf("error %q does not name the limit, where it was passed and the option", err)
			}
			if _, _, err2 := Repair([]byte(tt.in), Options{MaxFixes: tt.max}); !errors.Is(err2, tt.want) || (tt.want == nil) != (err2 == nil) {
				t.Errorf("Repair: %v", err2)
			}
		})
	}
}
