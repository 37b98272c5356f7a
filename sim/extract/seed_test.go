package extract

import "testing"

// The seed document's examples, with the Pydantic schemas its code sends
// (model_json_schema()), and the answers the simulator gives.
var seedCases = []struct {
	name, schema, text, want string
}{
	{
		name:   "UserInfo",
		schema: `{"properties": {"name": {"title": "Name", "type": "string"}, "age": {"title": "Age", "type": "integer"}, "email": {"title": "Email", "type": "string"}}, "required": ["name", "age", "email"], "title": "UserInfo", "type": "object"}`,
		text:   "Contact John Doe, age 30, at john@email.com",
		want:   `{"name":"John Doe","age":30,"email":"john@email.com"}`,
	},
	{
		name:   "Person/John",
		schema: personSchema,
		text:   "John is 30 years old",
		want:   `{"name":"John","age":30}`,
	},
	{
		name:   "Person/Sarah",
		schema: personSchema,
		text:   "Sarah, age 25",
		want:   `{"name":"Sarah","age":25}`,
	},
	{
		name:   "Person/Mike",
		schema: personSchema,
		text:   "Mike (45)",
		want:   `{"name":"Mike","age":45}`,
	},
	{
		name:   "ProductReview",
		schema: `{"properties": {"product_name": {"title": "Product Name", "type": "string"}, "rating": {"title": "Rating", "type": "number"}, "sentiment": {"title": "Sentiment", "type": "string"}, "summary": {"title": "Summary", "type": "string"}}, "required": ["product_name", "rating", "sentiment", "summary"], "title": "ProductReview", "type": "object"}`,
		text:   "\nOMG this phone is AMAZING!!! Battery lasts forever, camera is insane.\nDefinitely 5 stars, would buy again!!! Best purchase of 2024!\n",
		want:   `{"product_name":"phone","rating":5.0,"sentiment":"positive","summary":"OMG this phone is AMAZING!!! Battery lasts forever, camera is insane. Definitely 5 stars, would buy again!!! Best purchase of 2024!"}`,
	},
	{
		name:   "OrderInfo",
		schema: `{"properties": {"customer_name": {"title": "Customer Name", "type": "string"}, "items": {"items": {"type": "string"}, "title": "Items", "type": "array"}, "total": {"title": "Total", "type": "number"}, "shipping_address": {"title": "Shipping Address", "type": "string"}}, "required": ["customer_name", "items", "total", "shipping_address"], "title": "OrderInfo", "type": "object"}`,
		text:   "\nOrder from John Smith\nItems: 2x Widget ($10 each), 1x Gadget ($25)\nShip to: 123 Main St, Boston MA\nTotal: $45.00\n",
		want:   `{"customer_name":"John Smith","items":["2x Widget","1x Gadget"],"total":45.0,"shipping_address":"123 Main St, Boston MA"}`,
	},
}

const personSchema = `{"properties": {"name": {"title": "Name", "type": "string"}, "age": {"title": "Age", "type": "integer"}}, "required": ["name", "age"], "title": "Person", "type": "object"}`

func TestSeedExamples(t *testing.T) {
	for _, tc := range seedCases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSchema([]byte(tc.schema))
			if err != nil {
				t.Fatal(err)
			}
			got := string(Marshal(Extract(s, tc.text)))
			if got != tc.want {
				t.Errorf("Extract(%q)\n got %s\nwant %s", tc.text, got, tc.want)
			}
		})
	}
}
