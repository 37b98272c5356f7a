package sim

import (
	"testing"

	"github.com/reask/reask/sim/dataset"
	"github.com/reask/reask/sim/extract"
)

// TestDatasetOverHTTP runs 500 data set items through the clean server in
// the three ways clients ask: strict json_schema, a forced tool, and the
// schema written into a json_object prompt. At least 98% must be exact.
func TestDatasetOverHTTP(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 1})
	items := dataset.Generate(500, 21)
	modes := []string{"json_schema", "tools", "prompt"}
	exact := map[string]int{}
	for i, it := range items {
		schema, _ := dataset.Schema(it.Schema)
		mode := modes[i%len(modes)]
		var req map[string]any
		switch mode {
		case "json_schema":
			req = chatBody("gpt-4o-mini", []msg{{"role": "user", "content": "Extract information from the following text.\n\nText:\n" + it.Text + "\n\nReturn only valid JSON matching the schema."}},
				"temperature", 0, "response_format", msg{"type": "json_schema", "json_schema": msg{"name": it.Schema, "strict": true, "schema": schema}})
		case "tools":
			req = chatBody("gpt-4o-mini", []msg{{"role": "system", "content": "Extract the data."}, {"role": "user", "content": it.Text}},
				"temperature", 0, "tools", []msg{{"type": "function", "function": msg{"name": "record_" + it.Schema, "parameters": schema, "strict": true}}}, "tool_choice", "required")
		default:
			req = chatBody("gpt-4o-mini", []msg{{"role": "user", "content": "Extract information from the following text.\n\nSchema:\n" + string(schema) + "\n\nText:\n" + it.Text + "\n\nReturn only valid JSON matching the schema."}},
				"temperature", 0, "response_format", msg{"type": "json_object"})
		}
		c := decodeCompletion(t, post(t, ts, "/v1/chat/completions", req))
		got, err := extract.Parse([]byte(c.content()))
		want, _ := extract.Parse(it.Gold)
		if err == nil && extract.Equal(got, want) {
			exact[mode]++
		} else if exact["shown"] < 5 {
			exact["shown"]++
			t.Logf("%s %s\ntext %q\n got %s\nwant %s", mode, it.ID, it.Text, c.content(), it.Gold)
		}
	}
	for _, mode := range modes {
		n := (len(items) + len(modes) - 1 - indexOf(modes, mode)) / len(modes)
		t.Logf("%s: %d/%d exact", mode, exact[mode], n)
		if rate := float64(exact[mode]) / float64(n); rate < 0.98 {
			t.Errorf("%s: %.1f%% exact", mode, 100*rate)
		}
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
