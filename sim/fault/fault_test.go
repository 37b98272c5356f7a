package fault

import (
	"math/rand/v2"
	"testing"

	"github.com/reask/reask/sim/extract"
)

const testSchema = `{"type":"object","properties":{
 "name":{"type":"string"},
 "age":{"type":"integer"},
 "sentiment":{"type":"string","enum":["positive","negative","neutral"]},
 "active":{"type":"boolean"},
 "address":{"type":"object","properties":{"city":{"type":"string"},"zip":{"type":"string"}},"required":["city","zip"]}},
 "required":["name","age","sentiment","active","address"]}`

func cleanValue(t *testing.T) (any, *extract.Schema) {
	t.Helper()
	s, err := extract.ParseSchema([]byte(testSchema))
	if err != nil {
		t.Fatal(err)
	}
	v, err := extract.Parse([]byte(`{"name":"John Doe","age":30,"sentiment":"positive","active":true,"address":{"city":"Boston","zip":"02118"}}`))
	if err != nil {
		t.Fatal(err)
	}
	return v, s
}

// TestRenderClassifyRoundTrip renders every fault kind alone and checks
// that Classify finds exactly it again.
func TestRenderClassifyRoundTrip(t *testing.T) {
	clean, s := cleanValue(t)
	for _, k := range Kinds() {
		for _, indent := range []string{"", "  "} {
			r := rand.New(rand.NewPCG(1, 2))
			a := Render(clean, s, []Fault{{Kind: k}}, Options{Indent: indent, Wrappers: true}, r)
			if len(a.Faults) != 1 || a.Faults[0].Kind != k {
				t.Fatalf("%s: applied %v, text %s", k, a.Faults, a.Text)
			}
			if k == Truncated != a.Truncated {
				t.Errorf("%s: Truncated = %v", k, a.Truncated)
			}
			got := Classify(a.Text, clean, s)
			if len(got) != 1 || got[0] != a.Faults[0] {
				t.Errorf("%s (indent %q): Classify(%q) = %v, want %v", k, indent, a.Text, got, a.Faults)
			}
		}
	}
}

func TestCleanRenderIsJSON(t *testing.T) {
	clean, s := cleanValue(t)
	a := Render(clean, s, nil, Options{}, rand.New(rand.NewPCG(1, 1)))
	if a.Text != `{"name":"John Doe","age":30,"sentiment":"positive","active":true,"address":{"city":"Boston","zip":"02118"}}` {
		t.Errorf("clean text %s", a.Text)
	}
	if got := Classify(a.Text, clean, s); len(got) != 0 {
		t.Errorf("Classify(clean) = %v", got)
	}
}

func TestWords(t *testing.T) {
	for n, want := range map[int]string{0: "zero", 7: "seven", 30: "thirty", 45: "forty-five", 100: "one hundred", 119: "one hundred nineteen", 2024: "two thousand twenty-four"} {
		if got := Words(n); got != want {
			t.Errorf("Words(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestAddressed(t *testing.T) {
	tests := []struct {
		f        Fault
		feedback string
		want     bool
	}{
		{Fault{MissingField, "/email"}, "- email: Field required", true},
		{Fault{MissingField, "/email"}, "The JSON is missing a field.", true},
		{Fault{MissingField, "/email"}, "invalid, try again", false},
		{Fault{NestedMissing, "/items/0/quantity"}, "/items/0/quantity: required property missing", true},
		{Fault{NestedMissing, "/items/0/quantity"}, "items.0.quantity is needed", true},
		{Fault{Fence, ""}, "Your response was not valid JSON.", true},
		{Fault{Fence, ""}, "JSON parse error: Expecting value: line 1 column 1 (char 0)", true},
		{Fault{Fence, ""}, "That's wrong, try again.", false},
		{Fault{Truncated, ""}, "Your answer was cut off.", true},
		{Fault{NumberAsString, ""}, "age: Input should be a valid integer", true},
		{Fault{NumberAsString, "/age"}, "Something is off. Please try again.", false},
		{Fault{EnumCase, "/sentiment"}, "sentiment must be one of positive, negative, neutral", true},
		{Fault{ExtraField, "/confidence"}, "Extra inputs are not permitted", true},
		{Fault{ExtraField, "/confidence"}, "invalid, try again", false},
		{Fault{NullField, "/name"}, "wrong answer", false},
		{Fault{NumberAsWords, "/age"}, "print it again", false},
	}
	for _, tt := range tests {
		if got := Addressed(tt.f, tt.feedback); got != tt.want {
			t.Errorf("Addressed(%v, %q) = %v, want %v", tt.f, tt.feedback, got, tt.want)
		}
	}
}
