package sim

import (
	"encoding/json"
	"testing"

	"github.com/reask/reask/sim/extract"
)

// pydantic writes model_json_schema() with json.dumps' separators.
const (
	userInfoSchema = `{"properties": {"name": {"title": "Name", "type": "string"}, "age": {"title": "Age", "type": "integer"}, "email": {"title": "Email", "type": "string"}}, "required": ["name", "age", "email"], "title": "UserInfo", "type": "object"}`
	personSchema   = `{"properties": {"name": {"title": "Name", "type": "string"}, "age": {"title": "Age", "type": "integer"}}, "required": ["name", "age"], "title": "Person", "type": "object"}`
	reviewSchema   = `{
  "properties": {
    "product_name": {
      "title": "Product Name",
      "type": "string"
    },
    "rating": {
      "title": "Rating",
      "type": "number"
    },
    "sentiment": {
      "title": "Sentiment",
      "type": "string"
    },
    "summary": {
      "title": "Summary",
      "type": "string"
    }
  },
  "required": [
    "product_name",
    "rating",
    "sentiment",
    "summary"
  ],
  "title": "ProductReview",
  "type": "object"
}`
	orderSchema = `{"properties": {"customer_name": {"title": "Customer Name", "type": "string"}, "items": {"items": {"type": "string"}, "title": "Items", "type": "array"}, "total": {"title": "Total", "type": "number"}, "shipping_address": {"title": "Shipping Address", "type": "string"}}, "required": ["customer_name", "items", "total", "shipping_address"], "title": "OrderInfo", "type": "object"}`
)

// The seed's requests, as its Python code builds them, and the answers the
// clean simulator gives (compared as JSON values).
var seedRequests = []struct {
	name string
	msgs []msg
	want string
}{
	{"basic_retry", []msg{{"role": "user", "content": "Extract user info as JSON:\nSchema: " + userInfoSchema + "\nText: Contact John Doe, age 30, at john@email.com\nReturn only JSON."}},
		`{"name":"John Doe","age":30,"email":"john@email.com"}`},
	{"feedback_retry", []msg{
		{"role": "system", "content": "You are a JSON extraction assistant.\nExtract information and return valid JSON matching the schema.\nIf you receive error feedback, correct your response accordingly."},
		{"role": "user", "content": "Extract product review info from this text.\nSchema: " + reviewSchema + "\nText: \nOMG this phone is AMAZING!!! Battery lasts forever, camera is insane.\nDefinitely 5 stars, would buy again!!! Best purchase of 2024!\n\nReturn only valid JSON."}},
		`{"product_name":"phone","rating":5.0,"sentiment":"positive","summary":"OMG this phone is AMAZING!!! Battery lasts forever, camera is insane. Definitely 5 stars, would buy again!!! Best purchase of 2024!"}`},
	{"production_retry", []msg{
		{"role": "system", "content": "You are a precise JSON extraction assistant.\nExtract information and return valid JSON matching the provided schema.\nIf you receive error feedback, carefully correct your response."},
		{"role": "user", "content": "Extract information from the following text.\nSchema:\n" + orderSchema + "\nText:\n\nOrder from John Smith\nItems: 2x Widget ($10 each), 1x Gadget ($25)\nShip to: 123 Main St, Boston MA\nTotal: $45.00\n\nReturn only valid JSON matching the schema."}},
		`{"customer_name":"John Smith","items":["2x Widget","1x Gadget"],"total":45.0,"shipping_address":"123 Main St, Boston MA"}`},
	{"async/John", []msg{{"role": "user", "content": "Extract as JSON matching: " + personSchema + "\n\nText: John is 30 years old"}}, `{"name":"John","age":30}`},
	{"async/Sarah", []msg{{"role": "user", "content": "Extract as JSON matching: " + personSchema + "\n\nText: Sarah, age 25"}}, `{"name":"Sarah","age":25}`},
	{"async/Mike", []msg{{"role": "user", "content": "Extract as JSON matching: " + personSchema + "\n\nText: Mike (45)"}}, `{"name":"Mike","age":45}`},
}

func TestSeedRequestsExact(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 1})
	for _, tc := range seedRequests {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, ts, "/v1/chat/completions", chatBody("gpt-4o-mini", tc.msgs,
				"temperature", 0, "response_format", msg{"type": "json_object"}))
			c := decodeCompletion(t, r)
			got, err := extract.Parse([]byte(c.content()))
			if err != nil {
				t.Fatalf("answer is not JSON: %v\n%s", err, c.content())
			}
			want, _ := extract.Parse([]byte(tc.want))
			if !extract.Equal(got, want) {
				t.Errorf("answer\n%s\nwant %s", c.content(), tc.want)
			}
			if c.Choices[0].FinishReason != "stop" {
				t.Errorf("finish_reason %q", c.Choices[0].FinishReason)
			}
		})
	}
}

func TestJSONSchemaAndToolsModes(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 1})
	text := "Extract information from the following text.\n\nText:\nContact John Doe, age 30, at john@email.com\n\nReturn only valid JSON matching the schema."
	schema := json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"email":{"type":"string"}},"required":["name","age","email"],"additionalProperties":false}`)
	want := `{"name":"John Doe","age":30,"email":"john@email.com"}`

	r := post(t, ts, "/v1/chat/completions", chatBody("gpt-4o-mini", []msg{{"role": "user", "content": text}}, "temperature", 0,
		"response_format", msg{"type": "json_schema", "json_schema": msg{"name": "UserInfo", "schema": schema, "strict": true}}))
	if c := decodeCompletion(t, r); c.content() != want {
		t.Errorf("json_schema answer %s, want %s", c.content(), want)
	}

	r = post(t, ts, "/v1/chat/completions", chatBody("gpt-4o-mini", []msg{{"role": "user", "content": text}}, "temperature", 0,
		"tools", []msg{{"type": "function", "function": msg{"name": "record", "parameters": schema}}},
		"tool_choice", msg{"type": "function", "function": msg{"name": "record"}}))
	c := decodeCompletion(t, r)
	if c.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("finish_reason %q, want tool_calls", c.Choices[0].FinishReason)
	}
	tc := c.Choices[0].Message.ToolCalls
	if len(tc) != 1 || tc[0].Function.Name != "record" || tc[0].Type != "function" || tc[0].ID == "" || tc[0].Function.Arguments != want {
		t.Errorf("tool calls %+v", tc)
	}
	if c.Choices[0].Message.Content != nil {
		t.Errorf("content %q alongside tool calls", *c.Choices[0].Message.Content)
	}
}
