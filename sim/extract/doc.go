// Package extract is the simulated model's reading: given a JSON Schema
// and a text, it writes the answer a careful model would write, using
// deterministic heuristics instead of weights. It works for any schema:
// each field's meaning is guessed from its name, format and description
// (an email, a person's name, a company, a product, an age, a rating, an
// amount of money, a quantity, a date, an address or its parts, an id, a
// sentiment, a currency, a summary), then its value is looked for:
//
//   - "Label: value" lines whose label holds the field's words or synonyms;
//   - names as capitalised words, preferably after a cue ("Order from John
//     Smith", "Contact John Doe", "I'm Maria Garcia") or known first names;
//     companies by their suffix (Inc, Corp, GmbH, ...); products after
//     "this", "the", "my", "review of";
//   - emails, URLs and phone numbers by their shape;
//   - numbers near the field's words, before or after ("age 30", "5 stars",
//     "Total: $45.00"), with patterns for ages ("30 years old", "(45)",
//     "Sarah, 25,"), ratings ("4.5/5", "4 out of 5", "four stars") and money
//     (a currency sign or code);
//   - dates in ISO, US (MM/DD/YYYY) and month-name forms, given to date
//     fields by the words before them ("issued", "due"), written as the
//     schema's format asks (ISO 8601 by default);
//   - enums by the value's word in the text, by sentiment words or a rating
//     for positive/negative/neutral, by currency signs for currency codes;
//   - booleans by their word and its negation ("paid" / "unpaid", "would
//     recommend" / "would not recommend", "online" / "in person",
//     "Paid: yes");
//   - line items ("2x Widget ($10 each), 1x Gadget ($25)", bullet lists,
//     "3 x Blue Mug at $8.50 each and ...") as strings ("2x Widget") or as
//     objects whose name, quantity and price members are filled per item;
//   - street addresses ("123 Main St, Boston, MA 02118") as a string or as
//     an object of street, city, state and zip.
//
// Where the text says nothing, the answer is shaped by the schema: null
// for nullable fields, the default, the minimum, an empty string, 0, false,
// an empty array.
//
// The seed document's examples give, with its Pydantic schemas:
//
//	"Contact John Doe, age 30, at john@email.com"
//	  {"name":"John Doe","age":30,"email":"john@email.com"}
//	Person on "John is 30 years old", "Sarah, age 25", "Mike (45)"
//	  {"name":"John","age":30}  {"name":"Sarah","age":25}  {"name":"Mike","age":45}
//	ProductReview on "OMG this phone is AMAZING!!! ... Definitely 5 stars, would buy again!!! ..."
//	  {"product_name":"phone","rating":5.0,"sentiment":"positive",
//	   "summary":"OMG this phone is AMAZING!!! Battery lasts forever, camera is insane. Definitely 5 stars, would buy again!!! Best purchase of 2024!"}
//	OrderInfo on "Order from John Smith / Items: 2x Widget ($10 each), 1x Gadget ($25) / Ship to: 123 Main St, Boston MA / Total: $45.00"
//	  {"customer_name":"John Smith","items":["2x Widget","1x Gadget"],"total":45.0,"shipping_address":"123 Main St, Boston MA"}
//
// (a summary is the text itself on one line, cut at a sentence end after
// about 200 characters: an honest, deterministic stand-in.)
//
// The package also holds what the heuristics stand on: a JSON Schema
// reader that resolves local references (ParseSchema), a reader for the
// TypeScript-like sketches some clients write instead (FindTypeSchema), an
// order-keeping JSON value (Object, Number) with an encoder that writes
// sloppy syntax on purpose (Encode, Style), and a forgiving parser that
// reports the liberties a text took (ParseLenient).
package extract
