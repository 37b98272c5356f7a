// Package dataset is the simulator's labelled data set: realistic
// extraction texts generated from a seed, each with its gold answer, over a
// few JSON Schemas (a contact, a product review with an enum and a float
// rating, an order with nested line items and a nested address, an invoice
// with dates, an enum and a boolean, an event with nullable fields). With it, accuracy can be measured,
// not just validity. It also builds a corpus of syntactically broken
// answers for repair benchmarks.
//
// Every schema is accepted by OpenAI's strict structured outputs: every
// object forbids additional properties and lists every property as
// required; optional values are nullable instead.
package dataset

import "encoding/json"

// Schema names.
const (
	Contact = "contact"
	Review  = "review"
	Order   = "order"
	Invoice = "invoice"
	Event   = "event"
)

var schemas = map[string]string{
	Contact: `{
  "title": "Contact",
  "type": "object",
  "properties": {
    "name": {"type": "string", "description": "The person's full name."},
    "age": {"type": "integer", "minimum": 0, "maximum": 130},
    "email": {"type": "string", "format": "email"},
    "phone": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "The phone number as written in the text, or null."}
  },
  "required": ["name", "age", "email", "phone"],
  "additionalProperties": false
}`,
	Review: `{
  "title": "ProductReview",
  "type": "object",
  "properties": {
    "product_name": {"type": "string", "description": "The product's brand and model."},
    "rating": {"type": "number", "minimum": 1, "maximum": 5, "description": "Stars out of 5."},
    "sentiment": {"type": "string", "enum": ["positive", "negative", "neutral"]},
    "would_recommend": {"type": "boolean"}
  },
  "required": ["product_name", "rating", "sentiment", "would_recommend"],
  "additionalProperties": false
}`,
	Order: `{
  "title": "Order",
  "type": "object",
  "$defs": {
    "LineItem": {
      "type": "object",
      "properties": {
        "name": {"type": "string"},
        "quantity": {"type": "integer", "minimum": 1},
        "unit_price": {"type": "number", "minimum": 0}
      },
      "required": ["name", "quantity", "unit_price"],
      "additionalProperties": false
    },
    "Address": {
      "type": "object",
      "properties": {
        "street": {"type": "string"},
        "city": {"type": "string"},
        "state": {"type": "string", "description": "Two-letter state code."},
        "zip": {"type": "string"}
      },
      "required": ["street", "city", "state", "zip"],
      "additionalProperties": false
    }
  },
  "properties": {
    "customer_name": {"type": "string"},
    "items": {"type": "array", "items": {"$ref": "#/$defs/LineItem"}},
    "total": {"type": "number"},
    "shipping_address": {"$ref": "#/$defs/Address"}
  },
  "required": ["customer_name", "items", "total", "shipping_address"],
  "additionalProperties": false
}`,
	Invoice: `{
  "title": "Invoice",
  "type": "object",
  "properties": {
    "invoice_number": {"type": "string"},
    "vendor": {"type": "string", "description": "The company that issued the invoice."},
    "issue_date": {"type": "string", "format": "date"},
    "due_date": {"type": "string", "format": "date"},
    "amount_due": {"type": "number"},
    "currency": {"type": "string", "enum": ["USD", "EUR", "GBP"]},
    "paid": {"type": "boolean"}
  },
  "required": ["invoice_number", "vendor", "issue_date", "due_date", "amount_due", "currency", "paid"],
  "additionalProperties": false
}`,
	Event: `{
  "title": "Event",
  "type": "object",
  "properties": {
    "title": {"type": "string"},
    "date": {"type": "string", "format": "date"},
    "city": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "Where it takes place; null when it is online."},
    "virtual": {"type": "boolean"},
    "capacity": {"type": "integer", "minimum": 1, "description": "How many people can attend."},
    "contact_email": {"anyOf": [{"type": "string", "format": "email"}, {"type": "null"}]}
  },
  "required": ["title", "date", "city", "virtual", "capacity", "contact_email"],
  "additionalProperties": false
}`,
}

// SchemaNames lists the data set's schemas, in the order items cycle
// through them.
func SchemaNames() []string { return []string{Contact, Review, Order, Invoice, Event} }

// Schema returns the JSON Schema called name.
func Schema(name string) (json.RawMessage, bool) {
	s, ok := schemas[name]
	if !ok {
		return nil, false
	}
	return json.RawMessage(s), true
}

// Schemas returns every schema by name; the caller may change the map.
func Schemas() map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(schemas))
	for name, s := range schemas {
		out[name] = json.RawMessage(s)
	}
	return out
}
