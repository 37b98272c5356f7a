package extract

import (
	"strings"
	"testing"
	"time"
)

// TestLargeInput: a megabyte of order lines is read in linear time (the
// bound is loose on purpose; it catches quadratic blow-ups, not speed).
func TestLargeInput(t *testing.T) {
	s, err := ParseSchema([]byte(`{"type":"object","properties":{"customer_name":{"type":"string"},"paid":{"type":"boolean"},"status":{"enum":["open","closed"]},"total":{"type":"number"},"items":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"quantity":{"type":"integer"},"unit_price":{"type":"number"}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("Order from John Smith\nItems:\n")
	for b.Len() < 1<<20 {
		b.WriteString("- 2x Blue Mug ($8.50 each) for Maria Garcia on March 3, 2024: call 555-201-3344\n")
	}
	start := time.Now()
	v := Extract(s, b.String())
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("a 1 MB text took %v", el)
	}
	if o := v.(*Object); len(o.Keys) == 0 {
		t.Errorf("answer %s", Marshal(v)[:100])
	}
}

func TestPathologicalPrompts(t *testing.T) {
	for _, text := range []string{
		strings.Repeat("{ a: string, ", 50000),
		strings.Repeat("{", 200000),
		strings.Repeat("[", 200000),
		strings.Repeat("x: ", 200000),
		strings.Repeat("\"properties\" {", 50000),
	} {
		start := time.Now()
		FindTypeSchema(text)
		if el := time.Since(start); el > 10*time.Second {
			t.Errorf("FindTypeSchema on %q...: %v", text[:20], el)
		}
	}
}
