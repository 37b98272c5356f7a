package dataset

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/reask/reask/sim/extract"
)

// Item is one labelled example: a text, the schema to answer it with, and
// the right answer.
type Item struct {
	ID     string          `json:"id"`
	Schema string          `json:"schema"`
	Text   string          `json:"text"`
	Gold   json.RawMessage `json:"gold"`
}

// Generate returns n items generated from seed. Item i depends only on
// seed and i, so a shorter data set is a prefix of a longer one. The items
// cycle through SchemaNames.
func Generate(n int, seed int64) []Item {
	if n < 0 {
		n = 0
	}
	out := make([]Item, n)
	names := SchemaNames()
	for i := range out {
		out[i] = item(i, names[i%len(names)], seed)
	}
	return out
}

func item(i int, schema string, seed int64) Item {
	r := rand.New(rand.NewPCG(uint64(seed), uint64(i)))
	g := gen{r: r}
	var text string
	var gold *extract.Object
	switch schema {
	case Contact:
		text, gold = g.contact()
	case Review:
		text, gold = g.review()
	case Order:
		text, gold = g.order()
	case Invoice:
		text, gold = g.invoice()
	case Event:
		text, gold = g.event()
	}
	return Item{
		ID:     fmt.Sprintf("%s-%05d", schema, i),
		Schema: schema,
		Text:   text,
		Gold:   json.RawMessage(extract.Marshal(gold)),
	}
}

type gen struct{ r *rand.Rand }

func (g gen) pick(list ...string) string { return list[g.r.IntN(len(list))] }
func (g gen) chance(p float64) bool      { return g.r.Float64() < p }

func obj(kv ...any) *extract.Object {
	o := &extract.Object{}
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

var firstNames = []string{
	"John", "Maria", "Wei", "Priya", "Tom", "Aisha", "Lars", "Sofia", "James", "Yuki", "Carlos", "Emma",
	"Omar", "Ingrid", "David", "Chloe", "Kwame", "Elena", "Raj", "Hannah", "Diego", "Nina", "Marco", "Grace",
	"Ahmed", "Olivia", "Sven", "Lucia", "Ethan", "Fatima", "Pierre", "Amara", "Noah", "Greta", "Ivan", "Zoe",
}

var lastNames = []string{
	"Smith", "Garcia", "Chen", "Patel", "O'Brien", "Khan", "Nilsson", "Rossi", "Miller", "Tanaka", "Mendez",
	"Johnson", "Haddad", "Larsen", "Kim", "Dubois", "Mensah", "Petrova", "Sharma", "Weber", "Lopez", "Novak",
	"Bianchi", "Walker", "Hassan", "Brown", "Eriksson", "Moreno", "Wright", "Rahman", "Laurent", "Okafor",
	"Taylor", "Fischer", "Ivanov", "Smith-Jones", "MacLeod", "Nguyen",
}

var domains = []string{"example.com", "mail.net", "corp.io", "inbox.org", "post.co", "fastmail.com", "acme.dev"}

func (g gen) person() (first, last string) {
	return g.pick(firstNames...), g.pick(lastNames...)
}

func (g gen) email(first, last string) string {
	f := strings.ToLower(first)
	l := strings.ToLower(strings.NewReplacer("'", "", "-", "").Replace(last))
	var local string
	switch g.r.IntN(4) {
	case 0:
		local = f + "." + l
	case 1:
		local = f[:1] + l
	case 2:
		local = f + "_" + l[:1]
	default:
		local = f + strconv.Itoa(10+g.r.IntN(89))
	}
	return local + "@" + g.pick(domains...)
}

func (g gen) phone() string {
	a, b, c := 200+g.r.IntN(799), 200+g.r.IntN(799), g.r.IntN(10000)
	switch g.r.IntN(4) {
	case 0:
		return fmt.Sprintf("%d-%d-%04d", a, b, c)
	case 1:
		return fmt.Sprintf("(%d) %d-%04d", a, b, c)
	case 2:
		return fmt.Sprintf("+1 %d %d %04d", a, b, c)
	default:
		return fmt.Sprintf("%d.%d.%04d", a, b, c)
	}
}

func (g gen) pronoun() (subj, verb string) {
	switch g.r.IntN(3) {
	case 0:
		return "He", "is"
	case 1:
		return "She", "is"
	}
	return "They", "are"
}

var jobs = []string{"designer", "nurse", "accountant", "teacher", "software engineer", "photographer", "chef", "architect"}

func (g gen) contact() (string, *extract.Object) {
	first, last := g.person()
	name := first + " " + last
	age := 19 + g.r.IntN(62)
	email := g.email(first, last)
	var phone any
	if g.chance(0.6) {
		phone = g.phone()
	}
	ph, _ := phone.(string)
	var b strings.Builder
	switch g.r.IntN(10) {
	case 8:
		fmt.Fprintf(&b, "%s (%d) - %s - %s", name, age, g.pick(jobs...), email)
		if ph != "" {
			fmt.Fprintf(&b, " - %s", ph)
		}
	case 9:
		fmt.Fprintf(&b, "%s\n\n%s\n%s | %d yrs\n", g.pick("Thanks for your time!", "Looking forward to it.", "See you soon."), name, upperFirst(g.pick(jobs...)), age)
		if ph != "" {
			fmt.Fprintf(&b, "%s | ", ph)
		}
		b.WriteString(email)
	case 0:
		fmt.Fprintf(&b, "Contact %s, age %d, at %s.", name, age, email)
		if ph != "" {
			fmt.Fprintf(&b, " Phone: %s.", ph)
		}
	case 1:
		fmt.Fprintf(&b, "Hi, I'm %s (%d). Reach me at %s", name, age, email)
		if ph != "" {
			fmt.Fprintf(&b, " or call %s", ph)
		}
		b.WriteString(".")
	case 2:
		lines := []string{"Name: " + name, "Age: " + strconv.Itoa(age), "Email: " + email}
		if ph != "" {
			lines = append(lines, "Phone: "+ph)
		}
		g.r.Shuffle(len(lines)-1, func(i, j int) { lines[i+1], lines[j+1] = lines[j+1], lines[i+1] })
		b.WriteString(g.pick("New lead:\n", "Signup form\n", "", "Contact card\n"))
		b.WriteString(strings.Join(lines, "\n"))
	case 3:
		subj, verb := g.pronoun()
		fmt.Fprintf(&b, "Please add %s to the mailing list. %s %s %d years old and the email is %s.", name, subj, verb, age, email)
		if ph != "" {
			fmt.Fprintf(&b, " Mobile: %s.", ph)
		}
	case 4:
		fmt.Fprintf(&b, "From: %s <%s>\n%s is a %d-year-old %s", name, email, first, age, g.pick(jobs...))
		if ph != "" {
			fmt.Fprintf(&b, "; phone %s", ph)
		}
		b.WriteString(".")
	case 5:
		fmt.Fprintf(&b, "%s, %d, %s. Email %s", name, age, g.pick(jobs...), email)
		if ph != "" {
			fmt.Fprintf(&b, ", tel. %s", ph)
		}
		b.WriteString(".")
	case 6:
		subj, verb := g.pronoun()
		fmt.Fprintf(&b, "Hey team, %s joins us on Monday. %s %s %d, reachable at %s", name, subj, verb, age, email)
		if ph != "" {
			fmt.Fprintf(&b, " or %s", ph)
		}
		b.WriteString(".")
	default:
		fmt.Fprintf(&b, "Met %s at the %s conference. %s is %d years old; write to %s", name, g.pick("Berlin", "Lisbon", "Austin", "Toronto"), first, age, email)
		if ph != "" {
			fmt.Fprintf(&b, " or ring %s", ph)
		}
		b.WriteString(".")
	}
	if g.chance(0.3) {
		b.WriteString(g.pick(" Thanks!", "\nBest regards", " Follow up next week.", " Prefers email over calls.", "\n-- sent from my phone",
			" Met at the 2023 expo.", " Account #48213.", " Best time to call: after 5pm.", " Interested in the premium plan (2 seats)."))
	}
	return b.String(), obj("name", name, "age", extract.Int(int64(age)), "email", email, "phone", phone)
}

var products = []string{
	"Pixel 8", "Sony WH-1000XM5", "Kindle Paperwhite", "Instant Pot Duo", "Dyson V11", "Logitech MX Master 3",
	"Nike Pegasus 40", "AeroPress Go", "Fitbit Charge 6", "Bose QuietComfort 45", "Anker PowerCore 10000",
	"Ninja AF101", "Roomba i7", "GoPro Hero 12", "Nintendo Switch", "Kobo Clara", "Moto G Power", "Vitamix E310",
}

var (
	goodDetails    = []string{"Battery lasts forever", "Sound is crisp and clear", "Setup took two minutes", "Build quality is excellent", "It exceeded my expectations"}
	badDetails     = []string{"It broke after a week", "Support never answered my emails", "Feels cheap and flimsy", "The battery died in two hours", "Constant connection drops"}
	neutralDetails = []string{"It does the job", "Nothing special, but it works", "Decent for the price", "Some features are missing", "Average build, average sound"}
)

func (g gen) review() (string, *extract.Object) {
	product := g.pick(products...)
	halves := []float64{1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5}
	rating := halves[g.r.IntN(len(halves))]
	sentiment := "neutral"
	var detail string
	switch {
	case rating >= 4:
		sentiment, detail = "positive", g.pick(goodDetails...)
	case rating <= 2:
		sentiment, detail = "negative", g.pick(badDetails...)
	default:
		detail = g.pick(neutralDetails...)
	}
	var rec bool
	switch sentiment {
	case "positive":
		rec = g.chance(0.9)
	case "negative":
		rec = false
	default:
		rec = g.chance(0.4)
	}
	recPhrase := g.pick("I would recommend it", "highly recommend it", "would buy again", "recommended")
	if !rec {
		recPhrase = g.pick("I would not recommend it", "can't recommend it", "not sure I'd recommend it", "I wouldn't recommend it")
	}
	rs := strconv.FormatFloat(rating, 'f', -1, 64)
	stars := rs
	if rating == math.Trunc(rating) && g.chance(0.3) {
		stars = []string{"", "one", "two", "three", "four", "five"}[int(rating)]
	}
	var text string
	switch g.r.IntN(8) {
	case 5:
		if rating == math.Trunc(rating) {
			text = fmt.Sprintf("%s for the %s. %s. %s.", strings.Repeat("⭐", int(rating)), product, detail, upperFirst(recPhrase))
		} else {
			text = fmt.Sprintf("%s/5 for the %s. %s. %s.", rs, product, detail, upperFirst(recPhrase))
		}
	case 6:
		pro, con := g.pick(goodDetails...), g.pick(badDetails...)
		text = fmt.Sprintf("%s review\nPros: %s\nCons: %s\nVerdict: %s/5, %s.", product, pro, con, rs, recPhrase)
	case 7:
		text = fmt.Sprintf("Just got the %s. %s, so I'm rating it %s out of 5. %s.", product, detail, rs, upperFirst(recPhrase))
	case 0:
		text = fmt.Sprintf("%s this %s is %s!!! %s. Definitely %s stars, %s!", g.pick("OMG", "Wow,", "Honestly,", "Well,"), product,
			map[string]string{"positive": "AMAZING", "negative": "a letdown", "neutral": "fine"}[sentiment], detail, stars, recPhrase)
	case 1:
		text = fmt.Sprintf("Review of the %s: %s/5. %s. %s.", product, rs, detail, upperFirst(recPhrase))
	case 2:
		text = fmt.Sprintf("I'd give the %s %s out of 5. %s. %s.", product, rs, detail, upperFirst(recPhrase))
	case 3:
		text = fmt.Sprintf("Rating: %s stars\nProduct: %s\n%s. %s.", stars, product, detail, upperFirst(recPhrase))
	default:
		text = fmt.Sprintf("Bought my %s last month. %s. A %s-star experience overall; %s.", product, detail, rs, recPhrase)
	}
	if g.chance(0.3) {
		text += g.pick(" Shipping took 3 days.", " Paid $199 for it.", "\n\nUpdate: still using it after 2 months.", " (Verified purchase)")
	}
	return text, obj("product_name", product, "rating", extract.Float(rating), "sentiment", sentiment, "would_recommend", rec)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var catalog = []string{
	"Widget", "Gadget", "Blue Mug", "Tea Kettle", "Desk Lamp", "USB Cable", "Notebook", "Wireless Mouse",
	"Phone Case", "Water Bottle", "Yoga Mat", "Coffee Grinder", "Desk Organizer", "HDMI Adapter", "Laptop Stand",
	"Throw Pillow", "Cutting Board", "Travel Adapter", "Plant Pot", "Candle Set",
}

var streets = []string{"Main St", "Oak Avenue", "Elm Rd", "Maple Drive", "Cedar Lane", "Pine Street", "Lakeview Blvd", "Sunset Way", "Harbor Ct", "Hill Road"}

var cities = [][3]string{
	{"Boston", "MA", "02118"}, {"Austin", "TX", "78701"}, {"Denver", "CO", "80203"}, {"Seattle", "WA", "98101"},
	{"Portland", "OR", "97205"}, {"Chicago", "IL", "60601"}, {"San Diego", "CA", "92101"}, {"New York", "NY", "10001"},
	{"Miami", "FL", "33101"}, {"Madison", "WI", "53703"},
}

func money(sym string, v float64, cents bool) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if !cents && v == math.Trunc(v) {
		s = strconv.FormatFloat(v, 'f', 0, 64)
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if len(intPart) > 3 {
		var b strings.Builder
		for i, c := range intPart {
			if i > 0 && (len(intPart)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		intPart = b.String()
	}
	if frac != "" {
		intPart += "." + frac
	}
	return sym + intPart
}

func (g gen) order() (string, *extract.Object) {
	first, last := g.person()
	name := first + " " + last
	n := 1 + g.r.IntN(3)
	perm := g.r.Perm(len(catalog))[:n]
	type line struct {
		name  string
		qty   int
		price float64
	}
	lines := make([]line, n)
	total := 0.0
	prices := []float64{4, 5, 8.5, 10, 12.99, 15, 19.99, 24.5, 25, 32, 39.95, 49}
	for i, k := range perm {
		lines[i] = line{catalog[k], 1 + g.r.IntN(4), prices[g.r.IntN(len(prices))]}
		total += float64(lines[i].qty) * lines[i].price
	}
	shipping := 0.0
	if g.chance(0.3) {
		shipping = []float64{4.99, 5, 7.5, 9.95}[g.r.IntN(4)]
	}
	total = math.Round((total+shipping)*100) / 100
	c := cities[g.r.IntN(len(cities))]
	street := strconv.Itoa(1+g.r.IntN(9800)) + " " + g.pick(streets...)
	addr := fmt.Sprintf("%s, %s, %s %s", street, c[0], c[1], c[2])
	cents := g.chance(0.5)
	var b strings.Builder
	switch g.r.IntN(7) {
	case 5:
		fmt.Fprintf(&b, "Customer: %s\n\n| Qty | Item | Unit price |\n|---|---|---|\n", name)
		for _, l := range lines {
			fmt.Fprintf(&b, "| %d | %s | %s |\n", l.qty, l.name, money("$", l.price, true))
		}
		if shipping > 0 {
			fmt.Fprintf(&b, "\nShipping: %s", money("$", shipping, true))
		}
		fmt.Fprintf(&b, "\nShip to: %s\nTotal: %s", addr, money("$", total, true))
	case 6:
		if shipping > 0 {
			shipping, total = 0, math.Round((total-shipping)*100)/100
		}
		b.WriteString("Hello,\nPlease send me the following:\n")
		for i, l := range lines {
			fmt.Fprintf(&b, "%d. %s (x%d) - %s each\n", i+1, l.name, l.qty, money("$", l.price, cents))
		}
		fmt.Fprintf(&b, "Deliver to %s. Total %s.\nThanks, %s", addr, money("$", total, true), name)
	case 0:
		fmt.Fprintf(&b, "Order from %s\nItems: ", name)
		for i, l := range lines {
			if i > 0 {
				b.WriteString(", ")
			}
			if l.qty == 1 {
				fmt.Fprintf(&b, "1x %s (%s)", l.name, money("$", l.price, cents))
			} else {
				fmt.Fprintf(&b, "%dx %s (%s each)", l.qty, l.name, money("$", l.price, cents))
			}
		}
		if shipping > 0 {
			fmt.Fprintf(&b, "\nShipping: %s", money("$", shipping, true))
		}
		fmt.Fprintf(&b, "\nShip to: %s\nTotal: %s", addr, money("$", total, true))
	case 1:
		if shipping > 0 {
			shipping, total = 0, math.Round((total-shipping)*100)/100
		}
		fmt.Fprintf(&b, "Hi, this is %s. I'd like ", name)
		for i, l := range lines {
			switch {
			case i == 0:
			case i == len(lines)-1:
				b.WriteString(" and ")
			default:
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%d x %s at %s each", l.qty, l.name, money("$", l.price, cents))
		}
		fmt.Fprintf(&b, ". Please ship to %s. That comes to %s.", addr, money("$", total, true))
	case 2:
		if shipping > 0 {
			shipping, total = 0, math.Round((total-shipping)*100)/100
		}
		fmt.Fprintf(&b, "PO for %s:\n", name)
		for _, l := range lines {
			fmt.Fprintf(&b, "- %s x%d @ %s\n", l.name, l.qty, money("$", l.price, true))
		}
		fmt.Fprintf(&b, "Deliver to %s\nOrder total: %s", addr, money("$", total, true))
	case 3:
		fmt.Fprintf(&b, "Customer: %s\nShipping address: %s\n", name, addr)
		for _, l := range lines {
			fmt.Fprintf(&b, "* %d × %s — %s each\n", l.qty, l.name, money("$", l.price, true))
		}
		if shipping > 0 {
			fmt.Fprintf(&b, "Delivery fee %s\n", money("$", shipping, true))
		}
		fmt.Fprintf(&b, "Grand total %s", money("$", total, true))
	default:
		if shipping > 0 {
			shipping, total = 0, math.Round((total-shipping)*100)/100
		}
		fmt.Fprintf(&b, "%s ordered ", name)
		for i, l := range lines {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%dx %s (%s each)", l.qty, l.name, money("$", l.price, true))
		}
		fmt.Fprintf(&b, " - ship to %s; total %s.", addr, money("$", total, true))
	}
	if g.chance(0.25) {
		b.WriteString(g.pick("\nGift wrap, please.", "\nThanks!", "\nLeave it at the back door.", "\nCall on arrival.", "\nRef: order #A-1042"))
	}
	items := make([]any, n)
	for i, l := range lines {
		items[i] = obj("name", l.name, "quantity", extract.Int(int64(l.qty)), "unit_price", extract.Float(l.price))
	}
	address := obj("street", street, "city", c[0], "state", c[1], "zip", c[2])
	return b.String(), obj("customer_name", name, "items", items, "total", extract.Float(total), "shipping_address", address)
}

var vendors = []string{
	"Acme Corp", "Globex GmbH", "Initech LLC", "Northwind Traders Ltd", "Umbrella Inc", "Stark Industries",
	"Wayne Enterprises", "Hooli Inc", "Vandelay Industries", "Soylent Corp", "Cyberdyne Systems", "Wonka Foods",
	"Tyrell Corporation", "Oceanic Logistics", "Bluth Company", "Pied Piper Inc",
}

func (g gen) date(t time.Time) string {
	switch g.r.IntN(5) {
	case 0:
		return t.Format("2006-01-02")
	case 1:
		return t.Format("January 2, 2006")
	case 2:
		return t.Format("2 January 2006")
	case 3:
		return t.Format("Jan 2, 2006")
	}
	return t.Format("01/02/2006")
}

func (g gen) invoice() (string, *extract.Object) {
	var num string
	switch g.r.IntN(3) {
	case 0:
		num = fmt.Sprintf("INV-%d-%04d", 2023+g.r.IntN(3), g.r.IntN(10000))
	case 1:
		num = strconv.Itoa(10000 + g.r.IntN(90000))
	default:
		num = fmt.Sprintf("%c-%d", 'A'+rune(g.r.IntN(26)), 1000+g.r.IntN(9000))
	}
	vendor := g.pick(vendors...)
	issue := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.r.IntN(1000))
	due := issue.AddDate(0, 0, []int{14, 30, 45, 60}[g.r.IntN(4)])
	amount := math.Round((50+g.r.Float64()*4950)*100) / 100
	cur := []string{"USD", "EUR", "GBP"}[g.r.IntN(3)]
	sym := map[string]string{"USD": "$", "EUR": "€", "GBP": "£"}[cur]
	amt := money(sym, amount, true)
	if g.chance(0.25) {
		amt = cur + " " + money("", amount, true)
	}
	paid := g.chance(0.4)
	var b strings.Builder
	switch g.r.IntN(6) {
	case 5:
		first, last := g.person()
		status := "unpaid"
		if paid {
			status = "paid"
		}
		fmt.Fprintf(&b, "From %s\nBill to: %s %s\nInvoice no: %s\nDate of issue: %s\nPayment due: %s\nTotal due: %s\nThis invoice is %s.",
			vendor, first, last, num, g.date(issue), g.date(due), amt, status)
	case 0:
		status := "unpaid"
		if paid {
			status = "paid"
		}
		fmt.Fprintf(&b, "Invoice %s from %s, dated %s. Amount due: %s, payable by %s. Status: %s.", num, vendor, g.date(issue), amt, g.date(due), status)
		if g.chance(0.4) {
			fmt.Fprintf(&b, " A late fee of %s applies after the due date.", money(sym, 25, true))
		}
	case 1:
		fmt.Fprintf(&b, "%s - invoice #%s issued %s for %s. Payment due %s. ", vendor, num, g.date(issue), amt, g.date(due))
		if paid {
			b.WriteString("PAID in full, thank you.")
		} else {
			b.WriteString("Please pay by the due date.")
		}
	case 2:
		yn := "no"
		if paid {
			yn = "yes"
		}
		fmt.Fprintf(&b, "Bill no. %s | Vendor: %s | Date: %s | Due: %s | Total: %s | Paid: %s", num, vendor, g.date(issue), g.date(due), amt, yn)
	case 3:
		fmt.Fprintf(&b, "Hello,\nPlease find attached invoice %s (%s). Issued on %s; due on %s. Balance: %s.", num, vendor, g.date(issue), g.date(due), amt)
		if paid {
			b.WriteString(" This invoice has been paid.")
		} else {
			b.WriteString(" Payment is still outstanding.")
		}
	default:
		status := "Unpaid"
		if paid {
			status = "Paid"
		}
		fmt.Fprintf(&b, "Invoice %s\nFrom: %s\nInvoice date: %s\nDue date: %s\nAmount due: %s\nStatus: %s", num, vendor, g.date(issue), g.date(due), amt, status)
		if g.chance(0.4) {
			b.WriteString(g.pick("\nPO number: PO-7781", "\nTerms: net 30", "\nQuestions? Call 555-010-2030."))
		}
	}
	return b.String(), obj("invoice_number", num, "vendor", vendor, "issue_date", issue.Format("2006-01-02"),
		"due_date", due.Format("2006-01-02"), "amount_due", extract.Float(amount), "currency", cur, "paid", paid)
}

var titles = []string{
	"Go Meetup Berlin", "Scaling Postgres", "Intro to Rust", "Data Engineering Summit", "Product Design Workshop",
	"Kubernetes Day", "Frontend Friday", "Security Champions Forum", "Machine Learning Office Hours", "Open Source Sprint",
}

var eventCities = []string{"Berlin", "Lisbon", "Austin", "Toronto", "Singapore", "Nairobi", "Melbourne", "Oslo", "San Francisco", "Buenos Aires"}

var venues = []string{"Grand Hall", "Civic Center", "Harbor Pavilion", "Union Library", "Tech Hub"}

func (g gen) event() (string, *extract.Object) {
	title := g.pick(titles...)
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.r.IntN(700))
	virtual := g.chance(0.4)
	var city any
	if !virtual {
		city = g.pick(eventCities...)
	}
	cs, _ := city.(string)
	capacity := []int{20, 40, 50, 80, 120, 150, 200, 300, 500, 1000}[g.r.IntN(10)]
	var email any
	if g.chance(0.7) {
		first, _ := g.person()
		email = strings.ToLower(first) + "@" + g.pick("events.io", "meetup.dev", "community.org", "example.com")
	}
	es, _ := email.(string)
	var b strings.Builder
	switch g.r.IntN(5) {
	case 4:
		where := cs
		if virtual {
			where = g.pick("Online", "Online (Zoom)", "Online - link to follow")
		}
		fmt.Fprintf(&b, "%s\nWhen: %s\nWhere: %s\nCapacity: %d people", title, g.date(day), where, capacity)
		if es != "" {
			fmt.Fprintf(&b, "\nRSVP: %s", es)
		}
	case 0:
		fmt.Fprintf(&b, "Join us for \"%s\" on %s", title, g.date(day))
		if virtual {
			b.WriteString(", online via Zoom.")
		} else {
			fmt.Fprintf(&b, " in %s.", cs)
		}
		fmt.Fprintf(&b, " Capacity: %d seats.", capacity)
		if es != "" {
			fmt.Fprintf(&b, " RSVP to %s.", es)
		}
	case 1:
		where := cs
		if virtual {
			where = "Online (Zoom)"
		}
		fmt.Fprintf(&b, "Event: %s\nDate: %s\nWhere: %s\nSeats: %d", title, g.date(day), where, capacity)
		if es != "" {
			fmt.Fprintf(&b, "\nContact: %s", es)
		}
	case 2:
		kind := g.pick("Workshop", "Meetup", "Talk")
		if virtual {
			kind = g.pick("Webinar", "Workshop", "Talk")
		}
		fmt.Fprintf(&b, "%s: %s - %s, ", kind, title, g.date(day))
		if virtual {
			b.WriteString("online only")
		} else {
			fmt.Fprintf(&b, "in %s", cs)
		}
		fmt.Fprintf(&b, ". Up to %d attendees.", capacity)
		if es != "" {
			fmt.Fprintf(&b, " Questions? %s", es)
		}
	default:
		fmt.Fprintf(&b, "Save the date! \"%s\" takes place %s ", title, g.date(day))
		if virtual {
			b.WriteString("as a live webinar.")
		} else {
			fmt.Fprintf(&b, "at the %s in %s.", g.pick(venues...), cs)
		}
		fmt.Fprintf(&b, " We have room for %d people.", capacity)
		if es != "" {
			fmt.Fprintf(&b, " Write to %s to register.", es)
		}
	}
	return b.String(), obj("title", title, "date", day.Format("2006-01-02"), "city", city, "virtual", virtual,
		"capacity", extract.Int(int64(capacity)), "contact_email", email)
}
