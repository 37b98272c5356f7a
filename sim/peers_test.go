package sim

import (
	"testing"

	"github.com/reask/reask/sim/extract"
)

// Prompts as other clients write them: the simulator must read the schema
// and the text the way a model would, whoever asks.
func TestPeerPrompts(t *testing.T) {
	order := "Order from John Smith\nItems: 2x Widget ($10 each), 1x Gadget ($25)\nShip to: 123 Main St, Boston MA\nTotal: $45.00"
	tests := []struct {
		name string
		body map[string]any
		want string
	}{
		{"instructor JSON mode", chatBody("gpt-4o-mini", []msg{
			{"role": "system", "content": "As a genius expert, your task is to understand the content and provide the parsed objects in json that match the following json_schema:\n\n" + userInfoSchema + "\n\nMake sure to return an instance of the JSON, not the schema itself"},
			{"role": "user", "content": "Contact John Doe, age 30, at john@email.com"}}, "temperature", 0, "response_format", msg{"type": "json_object"}),
			`{"name":"John Doe","age":30,"email":"john@email.com"}`},
		{"instructor MD_JSON mode", chatBody("gpt-4o-mini", []msg{
			{"role": "system", "content": "As a genius expert, your task is to understand the content and provide the parsed objects in json that match the following json_schema:\n\n" + userInfoSchema + "\n\nMake sure to return an instance of the JSON, not the schema itself"},
			{"role": "user", "content": "Contact John Doe, age 30, at john@email.com"},
			{"role": "user", "content": "Return the correct JSON response within a ```json codeblock. not the JSON_SCHEMA"}}, "temperature", 0),
			`{"name":"John Doe","age":30,"email":"john@email.com"}`},
		{"BAML output format", chatBody("gpt-4o-mini", []msg{
			{"role": "user", "content": "Extract from this content:\n" + order + "\n\nAnswer in JSON using this schema:\n{\n  customer_name: string,\n  items: [\n    {\n      name: string,\n      quantity: int,\n      // per unit\n      price: float,\n    }\n  ],\n  total: float,\n  shipping_address: string or null,\n}"}}, "temperature", 0),
			`{"customer_name":"John Smith","items":[{"name":"Widget","quantity":2,"price":10.0},{"name":"Gadget","quantity":1,"price":25.0}],"total":45.0,"shipping_address":"123 Main St, Boston MA"}`},
		{"BAML enum", chatBody("gpt-4o-mini", []msg{
			{"role": "system", "content": "Classify the review.\n\nSentiment\n----\n- POSITIVE\n- NEGATIVE\n- NEUTRAL\n\nAnswer in JSON using this schema:\n{\n  product: string,\n  sentiment: Sentiment,\n  stars: int,\n}"},
			{"role": "user", "content": "I'd give the Kindle Paperwhite 2 out of 5. It broke after a week."}}, "temperature", 0),
			`{"product":"Kindle Paperwhite","sentiment":"NEGATIVE","stars":2}`},
		{"naive prompt with Python dict schema", chatBody("gpt-4o-mini", []msg{
			{"role": "user", "content": "Extract as JSON matching: {'properties': {'name': {'title': 'Name', 'type': 'string'}, 'age': {'title': 'Age', 'type': 'integer'}}, 'required': ['name', 'age'], 'title': 'Person', 'type': 'object'}\n\nText: Mike (45)"}}, "temperature", 0),
			`{"name":"Mike","age":45}`},
	}
	_, ts := newTest(t, Config{Seed: 1})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := decodeCompletion(t, post(t, ts, "/v1/chat/completions", tt.body))
			got, err := extract.Parse([]byte(c.content()))
			want, _ := extract.Parse([]byte(tt.want))
			if err != nil || !extract.Equal(got, want) {
				t.Errorf("answer %s\nwant %s", c.content(), tt.want)
			}
		})
	}
}
