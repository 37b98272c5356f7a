package extract

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
)

// concept is what a field holds, guessed from its name, format and
// description, the way a model reads a schema.
type concept int

const (
	cNone concept = iota
	cEmail
	cPhone
	cURL
	cDate
	cPerson
	cFirstName
	cLastName
	cOrg
	cProduct
	cTitle
	cAge
	cRating
	cMoney
	cQuantity
	cSentiment
	cSummary
	cAddress
	cStreet
	cCity
	cState
	cZip
	cCountry
	cID
	cCurrency
	cItems
)

// memo caches a pure function's results, up to a bound, for concurrent
// use; the extractor asks the same questions about a schema on every call.
type memo[K comparable, V any] struct {
	m sync.Map
	n atomic.Int64
}

const memoLimit = 8192

func (c *memo[K, V]) get(k K, f func(K) V) V {
	if v, ok := c.m.Load(k); ok {
		return v.(V)
	}
	v := f(k)
	if c.n.Load() < memoLimit {
		c.n.Add(1)
		c.m.Store(k, v)
	}
	return v
}

var wordsMemo memo[string, []string]

// nameWords splits a field name into lower-case words: customer_name,
// customerName and customer-name all give [customer name]. The result is
// shared: callers must not change it.
func nameWords(name string) []string {
	if len(name) > 256 {
		return splitName(name)
	}
	return wordsMemo.get(name, splitName)
}

func splitName(name string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case r == '_' || r == '-' || r == ' ' || r == '.':
			flush()
		case unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1])):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return words
}

func has(words []string, any ...string) bool {
	for _, w := range words {
		for _, a := range any {
			if w == a {
				return true
			}
		}
	}
	return false
}

// conceptKey is what conceptOf reads of a field: its name and schema hints.
type conceptKey struct {
	name, typ, format, title, description string
}

var conceptMemo memo[conceptKey, concept]

// conceptOf guesses what the field name (with the schema's hints) holds.
func conceptOf(name string, s *Schema) concept {
	if len(s.Title)+len(s.Description)+len(name) > 512 {
		return guessConcept(name, s)
	}
	k := conceptKey{name, s.Type, s.Format, s.Title, s.Description}
	return conceptMemo.get(k, func(conceptKey) concept { return guessConcept(name, s) })
}

func guessConcept(name string, s *Schema) concept {
	w := nameWords(name)
	numeric := s.Type == "integer" || s.Type == "number"
	switch {
	case s.Format == "email" || has(w, "email", "mail", "e"):
		if has(w, "email", "mail") || s.Format == "email" {
			return cEmail
		}
	case s.Format == "date" || s.Format == "date-time":
		return cDate
	case s.Format == "uri" || s.Format == "url":
		return cURL
	}
	switch {
	case has(w, "phone", "tel", "telephone", "mobile", "cell", "fax"):
		return cPhone
	case has(w, "url", "website", "link", "homepage", "site"):
		return cURL
	case has(w, "currency"):
		return cCurrency
	case has(w, "sentiment", "tone", "mood", "feeling", "polarity"):
		return cSentiment
	case has(w, "age") && s.Type != "string" || name == "age":
		return cAge
	case has(w, "rating", "stars", "star", "score", "grade"):
		return cRating
	case numeric && has(w, "quantity", "qty", "units", "count", "pieces"):
		return cQuantity
	case numeric && has(w, "price", "cost", "total", "amount", "subtotal", "tax", "fee", "balance", "salary", "budget", "payment", "paid", "due", "spend", "revenue", "value"):
		return cMoney
	case has(w, "date", "dob", "birthday", "birthdate", "deadline") || has(w, "due") && !numeric:
		return cDate
	case has(w, "street", "line1", "line"):
		return cStreet
	case has(w, "city", "town"):
		return cCity
	case has(w, "state", "province", "region"):
		return cState
	case has(w, "zip", "postal", "postcode", "zipcode"):
		return cZip
	case has(w, "country"):
		return cCountry
	case has(w, "address", "location", "destination", "ship", "shipping", "billing", "delivery", "venue"):
		return cAddress
	case has(w, "items", "products", "lines", "cart", "goods") && s.Type == "array":
		return cItems
	case has(w, "id", "number", "no", "num", "reference", "ref", "code", "sku", "tracking") && !numeric:
		return cID
	case has(w, "company", "vendor", "supplier", "merchant", "seller", "store", "business", "organization",
		"organisation", "employer", "brand", "manufacturer", "issuer", "shop", "org", "firm"):
		return cOrg
	case has(w, "product", "item", "model", "device"):
		return cProduct
	case has(w, "summary", "description", "notes", "note", "comment", "comments", "details", "overview", "reason",
		"explanation", "message", "body", "content", "feedback", "review", "text", "remarks"):
		return cSummary
	case has(w, "title", "subject", "headline", "event"):
		return cTitle
	case has(w, "first", "given", "forename"):
		return cFirstName
	case has(w, "last", "surname", "family"):
		return cLastName
	case has(w, "name", "customer", "person", "author", "reviewer", "client", "buyer", "recipient", "attendee",
		"organizer", "sender", "contact", "user", "employee", "patient", "student", "owner", "manager", "who"):
		return cPerson
	}
	if numeric {
		return cNone
	}
	d := strings.ToLower(s.Description + " " + s.Title)
	switch {
	case strings.Contains(d, "email"):
		return cEmail
	case strings.Contains(d, "phone"):
		return cPhone
	case strings.Contains(d, "date"):
		return cDate
	case strings.Contains(d, "person") || strings.Contains(d, "full name"):
		return cPerson
	}
	return cNone
}

// keywords are the words near which a field's value is written: its
// name's words and their usual synonyms.
func keywords(name string, c concept) []string {
	w := nameWords(name)
	var out []string
	for _, x := range w {
		switch x {
		case "is", "has", "was", "the", "of", "a", "an", "in", "to", "id", "number", "no", "num", "per", "count", "value":
			continue
		}
		out = append(out, x)
		out = append(out, synonyms[x]...)
	}
	switch c {
	case cMoney:
		switch {
		case has(w, "total", "subtotal"):
			out = append(out, "total", "comes", "came", "altogether", "sum", "charged", "grand", "overall")
		case has(w, "amount", "balance", "due", "payment"):
			out = append(out, "amount", "due", "balance", "total", "owed", "owing", "payable", "pay")
		case has(w, "price", "cost"):
			out = append(out, "price", "cost", "costs", "priced", "each", "at")
		}
	case cQuantity:
		out = append(out, "quantity", "qty", "units", "pieces", "pcs")
	case cRating:
		out = append(out, "rating", "rated", "rate", "stars", "star", "score")
	case cAge:
		out = append(out, "age", "aged")
	case cID:
		if has(w, "invoice") {
			out = append(out, "bill")
		}
		if len(out) == 0 {
			out = append(out, "id", "number", "no", "reference", "ref", "#")
		}
	case cDate:
		switch {
		case has(w, "issue", "issued", "invoice"):
			out = append(out, "issued", "dated", "date", "issue")
		case has(w, "due", "deadline"):
			out = append(out, "due", "payable", "by", "deadline", "before")
		case has(w, "birth", "dob", "birthday"):
			out = append(out, "born", "birthday", "dob")
		}
	case cOrg:
		out = append(out, "from", "vendor", "supplier", "by", "company")
	case cAddress:
		out = append(out, "address", "ship", "deliver", "shipping", "send")
	}
	return out
}
