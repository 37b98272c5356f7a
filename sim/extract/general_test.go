package extract

import "testing"

// Texts and schemas beyond the data set: the heuristics should read what a
// model reads, whatever the schema.
func TestGeneralCases(t *testing.T) {
	tests := []struct {
		name, schema, text, want string
	}{
		{"self introduction",
			`{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"email":{"type":"string"}},"required":["name","age","email"]}`,
			"My name is Anna Kowalski and I am 28. You can email me at anna.k@gmail.com.",
			`{"name":"Anna Kowalski","age":28,"email":"anna.k@gmail.com"}`},
		{"title and comma age",
			`{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}`,
			"Dr. Emily Carter, 45, joined the clinic in 2019.",
			`{"name":"Emily Carter","age":45}`},
		{"labels in any order",
			`{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"email":{"type":"string"}},"required":["name","age","email"]}`,
			"email: bob@x.io; name: Bob Stone; age: 41",
			`{"name":"Bob Stone","age":41,"email":"bob@x.io"}`},
		{"rating out of ten on a five-star field",
			`{"type":"object","properties":{"product":{"type":"string"},"rating":{"type":"number","minimum":1,"maximum":5}},"required":["product","rating"]}`,
			"The Sony WH-1000XM5 are great headphones. 9/10",
			`{"product":"Sony WH-1000XM5","rating":4.5}`},
		{"tags list",
			`{"type":"object","properties":{"tags":{"type":"array","items":{"type":"string"}},"skills":{"type":"array","items":{"type":"string"}}},"required":["tags","skills"]}`,
			"Tags: urgent, billing, refund\nSkills: Go, Python and SQL",
			`{"tags":["urgent","billing","refund"],"skills":["Go","Python","SQL"]}`},
		{"people in prose",
			`{"type":"object","properties":{"attendees":{"type":"array","items":{"type":"string"}}},"required":["attendees"]}`,
			"Meeting notes: Alice Johnson and Bob Smith attended; Carol White sent apologies.",
			`{"attendees":["Alice Johnson","Bob Smith","Carol White"]}`},
		{"list of people objects",
			`{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}}`,
			"John is 30 years old.\nSarah, age 25\nMike (45)",
			`[{"name":"John","age":30},{"name":"Sarah","age":25},{"name":"Mike","age":45}]`},
		{"datetime",
			`{"type":"object","properties":{"starts_at":{"type":"string","format":"date-time"},"day":{"type":"string","format":"date"}},"required":["starts_at","day"]}`,
			"Kick-off at 2024-03-05T10:00:00Z sharp.",
			`{"starts_at":"2024-03-05T10:00:00Z","day":"2024-03-05"}`},
		{"nested customer",
			`{"type":"object","properties":{"customer":{"type":"object","properties":{"name":{"type":"string"},"email":{"type":"string"},"phone":{"type":"string"}},"required":["name","email","phone"]},"priority":{"enum":["low","medium","high"]}},"required":["customer","priority"]}`,
			"Ticket from Lena Fischer (lena@fischer.de, +49 30 1234567): the app crashes on login. High priority.",
			`{"customer":{"name":"Lena Fischer","email":"lena@fischer.de","phone":"+49 30 1234567"},"priority":"high"}`},
		{"optional fields absent",
			`{"type":"object","properties":{"name":{"type":"string"},"nickname":{"anyOf":[{"type":"string"},{"type":"null"}]},"score":{"type":"integer","minimum":1}},"required":["name","nickname","score"]}`,
			"Contact Jane Roe.",
			`{"name":"Jane Roe","nickname":null,"score":1}`},
		{"markdown table of items",
			`{"type":"object","properties":{"customer":{"type":"string"},"items":{"type":"array","items":{"type":"object","properties":{"product":{"type":"string"},"qty":{"type":"integer"},"price":{"type":"number"}}}},"total":{"type":"number"}},"required":["customer","items","total"]}`,
			"Customer: Jane Doe\n\n| Qty | Item | Unit price |\n|---|---|---|\n| 2 | Widget | $10.00 |\n| 1 | Gadget | $25.00 |\n\nTotal: $45.00",
			`{"customer":"Jane Doe","items":[{"product":"Widget","qty":2,"price":10.0},{"product":"Gadget","qty":1,"price":25.0}],"total":45.0}`},
		{"star emojis",
			`{"type":"object","properties":{"stars":{"type":"integer"},"sentiment":{"enum":["positive","negative","neutral"]}},"required":["stars","sentiment"]}`,
			"⭐⭐⭐⭐ Great little blender, a bit loud.",
			`{"stars":4,"sentiment":"positive"}`},
		{"heading as title",
			`{"type":"object","properties":{"title":{"type":"string"},"company":{"type":"string"},"remote":{"type":"boolean"}},"required":["title","company","remote"]}`,
			"Senior Go Engineer\nInitech LLC is hiring. The role is fully remote.",
			`{"title":"Senior Go Engineer","company":"Initech LLC","remote":true}`},
		{"label that does not fit is skipped",
			`{"type":"object","properties":{"invoice_number":{"type":"string"},"total":{"type":"number"}},"required":["invoice_number","total"]}`,
			"Bill to: Jane Doe\nInvoice no: INV-77\nTotal due: see below\nTotal: $12.00",
			`{"invoice_number":"INV-77","total":12.0}`},
		{"boolean negation",
			`{"type":"object","properties":{"refundable":{"type":"boolean"},"in_stock":{"type":"boolean"}},"required":["refundable","in_stock"]}`,
			"This ticket is non-refundable. The item is in stock.",
			`{"refundable":false,"in_stock":true}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSchema([]byte(tc.schema))
			if err != nil {
				t.Fatal(err)
			}
			got := Extract(s, tc.text)
			want, err := Parse([]byte(tc.want))
			if err != nil {
				t.Fatal(err)
			}
			if !Equal(got, want) {
				t.Errorf("Extract(%q)\n got %s\nwant %s", tc.text, Marshal(got), tc.want)
			}
		})
	}
}
