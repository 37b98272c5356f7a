package extract

// Word lists the heuristics read. They are small on purpose: a model knows
// far more, but these cover the phrasings of everyday extraction texts.

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// notNames are capitalised words that start sentences or label things and
// are never part of a person's name.
var notNames = set(
	"a", "an", "the", "this", "that", "these", "those", "my", "our", "your", "his", "her", "their", "its",
	"i", "i'm", "im", "i'd", "i've", "i'll", "we", "we're", "you", "he", "she", "it", "they", "me", "us", "him", "them",
	"hi", "hello", "hey", "dear", "thanks", "thank", "cheers", "regards", "best", "kind", "sincerely", "greetings", "welcome",
	"please", "contact", "order", "orders", "items", "item", "ship", "shipping", "deliver", "delivery", "total", "subtotal",
	"name", "email", "e-mail", "phone", "tel", "mobile", "age", "new", "customer", "client", "invoice", "bill", "review",
	"rating", "date", "due", "from", "to", "re", "subject", "note", "notes", "status", "paid", "unpaid", "vendor",
	"amount", "address", "lead", "signup", "sign-up", "request", "purchase", "po", "product", "products", "summary",
	"is", "was", "are", "and", "or", "but", "so", "if", "then", "also", "just", "very", "really", "definitely",
	"omg", "wow", "great", "good", "bad", "best", "worst", "love", "loved", "hate", "amazing", "awful", "terrible",
	"battery", "camera", "price", "quality", "overall", "honestly", "pros", "cons", "update", "edit", "ok", "okay",
	"reach", "call", "text", "write", "send", "sent", "add", "added", "meet", "met", "see", "let", "get", "got",
	"yes", "no", "not", "none", "n/a", "tbd", "via", "at", "on", "in", "by", "for", "with", "of", "as", "per", "re:",
	"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam", "team", "support", "sales", "info", "admin", "office",
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today", "tomorrow", "yesterday",
	"january", "february", "march", "april", "june", "july", "august", "september", "october", "november", "december",
	"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
	"street", "st", "avenue", "ave", "road", "rd", "lane", "ln", "drive", "dr.", "boulevard", "blvd", "suite", "apt",
	"usa", "us", "uk", "eu", "usd", "eur", "gbp", "json", "api", "id", "pdf", "faq", "fyi", "asap", "ps", "p.s",
	"would", "will", "can", "could", "should", "must", "may", "might", "did", "do", "does", "had", "has", "have",
	"here", "there", "where", "when", "what", "who", "why", "how", "which", "after", "before", "since", "until",
	"details", "detail", "information", "info:", "attached", "attachment", "confirmed", "confirm", "confirmation",
	"fast", "quick", "free", "great", "excellent", "perfect", "nice", "fine", "meh", "solid", "decent", "poor",
	"extract", "return", "schema", "input", "output", "user", "assistant", "system", "answer", "respond",
	"he's", "she's", "they're", "it's", "there's", "that's", "what's", "let's", "don't", "doesn't", "didn't",
	"works", "worked", "bought", "purchased", "ordered", "received", "arrived", "shipped", "returned",
	"looking", "interested", "happy", "sad", "sorry", "glad", "excited", "pleased",
)

// firstNames lends a single capitalised word the weight of a name.
var firstNames = set(
	"john", "jane", "mike", "michael", "sarah", "david", "maria", "mary", "james", "robert", "linda", "patricia",
	"jennifer", "william", "elizabeth", "richard", "susan", "joseph", "jessica", "thomas", "tom", "karen", "charles",
	"nancy", "chris", "christopher", "lisa", "daniel", "dan", "emily", "matthew", "anna", "anthony", "mark", "paul",
	"laura", "steven", "kevin", "amy", "brian", "george", "emma", "olivia", "noah", "liam", "ava", "sophia", "mia",
	"lucas", "ethan", "mason", "isabella", "alex", "sam", "ben", "peter", "kate", "anne", "ann", "bob", "alice",
	"wei", "li", "chen", "priya", "raj", "arjun", "aisha", "fatima", "omar", "ahmed", "yuki", "hiro", "kenji",
	"sofia", "lucia", "carlos", "juan", "jose", "luis", "ana", "pedro", "diego", "ines", "lars", "ingrid", "sven",
	"olga", "ivan", "dmitri", "nina", "elena", "marco", "giulia", "luca", "pierre", "claire", "hans", "greta",
	"kwame", "amara", "chloe", "zoe", "leo", "max", "ella", "grace", "jack", "harry", "oscar", "ruby", "lily",
	"mohammed", "hannah", "rachel", "rebecca", "tyler", "jason", "ryan", "eric", "adam", "nathan", "sean", "kim",
)

// personCues precede a person's name.
var personCues = set(
	"from", "by", "contact", "customer", "client", "name", "named", "i'm", "im", "am", "dear", "mr", "mrs", "ms",
	"dr", "buyer", "attendee", "reviewer", "author", "called", "meet", "lead", "for", "is", "cc", "sender",
	"signed", "regards", "cheers", "thanks", "-", "—",
)

// orgSuffixes end a company's name.
var orgSuffixes = set(
	"inc", "corp", "corporation", "llc", "ltd", "limited", "gmbh", "ag", "co", "company", "group", "holdings",
	"industries", "traders", "trading", "solutions", "systems", "labs", "partners", "enterprises", "technologies",
	"supplies", "supply", "services", "sa", "bv", "plc", "pty", "studio", "studios", "works", "foods", "logistics",
)

// streetSuffixes end a street name.
var streetSuffixes = set(
	"st", "street", "ave", "avenue", "rd", "road", "blvd", "boulevard", "ln", "lane", "dr", "drive", "way", "ct",
	"court", "pl", "place", "ter", "terrace", "pkwy", "parkway", "hwy", "highway", "sq", "square", "cir", "circle",
	"trl", "trail", "row", "loop", "alley",
)

// usStates holds the two-letter codes of US states and territories.
var usStates = set(
	"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
	"ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK",
	"OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "PR",
)

var months = map[string]int{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
	"september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
	"nov": 11, "dec": 12,
}

var positiveWords = set(
	"amazing", "great", "love", "loved", "loves", "excellent", "best", "perfect", "fantastic", "awesome",
	"superb", "wonderful", "outstanding", "brilliant", "incredible", "insane", "happy", "delighted", "impressed",
	"recommend", "recommended", "favorite", "favourite", "flawless", "solid", "reliable", "comfortable", "beautiful",
	"fast", "easy", "worth", "terrific", "stellar", "pleased", "glad", "enjoy", "enjoyed", "exceeded", "good",
)

var negativeWords = set(
	"terrible", "awful", "worst", "hate", "hated", "broke", "broken", "disappointed", "disappointing", "waste",
	"refund", "poor", "bad", "useless", "horrible", "junk", "defective", "flimsy", "avoid", "annoying", "slow",
	"overpriced", "faulty", "failed", "fails", "stopped", "cheap", "regret", "return", "returned", "mediocre", "worse",
)

var neutralWords = set(
	"okay", "ok", "fine", "average", "decent", "mixed", "meh", "so-so", "acceptable", "alright", "mediocre",
	"expected", "ordinary", "adequate", "fair",
)

var negations = set("not", "no", "never", "n't", "without", "hardly", "cannot", "can't", "don't", "won't",
	"wouldn't", "isn't", "wasn't", "didn't", "doesn't", "aren't", "nor", "non", "unsure")

var smallNumbers = map[string]int{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10}

// synonyms are other words for a field name's word.
var synonyms = map[string][]string{
	"capacity":  {"seats", "attendees", "spots", "people", "guests", "participants", "max", "room"},
	"attendees": {"attendees", "people", "guests", "participants"},
	"city":      {"where", "location", "town", "venue"},
	"title":     {"event", "webinar", "workshop", "meetup", "conference", "talk", "session", "subject", "summit"},
	"email":     {"e-mail", "mail", "contact", "rsvp"},
	"employees": {"staff", "people", "headcount"},
}

// notNouns cannot be what "this" points at in a review.
var notNouns = set("is", "was", "one", "thing", "product", "item", "so", "very", "really", "new", "amazing", "great",
	"is,", "has", "had", "will", "would", "just", "time", "year", "week", "month", "morning", "evening", "a", "the")

// notPlaces answer "where?" without a place.
var notPlaces = set("online", "virtual", "remote", "zoom", "tbd", "tba", "n/a", "none", "web", "teams", "livestream")

// eventWords introduce an event's title: "Webinar: Intro to Rust".
var eventWords = set("webinar", "workshop", "meetup", "conference", "talk", "session", "summit", "event", "seminar", "hackathon")

// greetings open letters, not headings.
var greetings = set("hi", "hello", "hey", "dear", "thanks", "thank", "greetings", "good", "re", "fwd", "fw")

// boolPhrases say a boolean field's value in words: the phrases for yes and
// for no, by the field's keyword.
var boolPhrases = map[string]struct{ yes, no []string }{
	"paid": {
		yes: []string{"paid in full", "payment received", "has been paid", "was paid", "settled", "paid"},
		no:  []string{"not yet paid", "not paid", "unpaid", "outstanding", "overdue", "awaiting payment", "payment pending", "still due", "paid: no"},
	},
	"recommend": {
		yes: []string{"would recommend", "highly recommend", "recommended", "recommend", "would buy again", "buy it again", "must-have", "must have"},
		no: []string{"would not recommend", "wouldn't recommend", "not recommend", "can't recommend", "cannot recommend",
			"don't recommend", "do not recommend", "not sure i'd recommend", "not sure i would recommend", "avoid", "would not buy again", "wouldn't buy again", "never again", "skip it"},
	},
	"virtual": {
		yes: []string{"virtual", "online", "remote", "zoom", "webinar", "livestream", "video call"},
		no:  []string{"in person", "in-person", "on-site", "onsite", "on site"},
	},
}

// nameParticles join the parts of a name: "Ludwig van Beethoven".
var nameParticles = set("van", "de", "von", "der", "da", "del")

// determiners before a capitalised run make it a thing, not a person:
// "the Pixel", "my Kindle".
var determiners = set("the", "this", "my", "a", "an", "our", "your")

// afterNames follow a lone capitalised word that a text treats as a name:
// "Priya is", "Omar, our lead", "Chen's".
var afterNames = set("is", ",", "(", "was", "'s")

// ratingUnits after a number make it a rating, not part of a product's
// name: "5 stars", "4 out of 5", "9/10".
var ratingUnits = set("out", "stars", "star", "/")

// productCues precede a product's name: "this Kindle", "bought the Pixel".
var productCues = set("this", "the", "my", "these", "our", "new", "of", "bought", "purchased", "ordered", "got", "product", "love", "hate")

// productArticles may stand between a product cue and the name: "bought
// a new Pixel".
var productArticles = set("the", "a", "new", "an")

// pointers point at the thing a review is about: "this blender".
var pointers = set("this", "these", "my")

// idFillers may stand between an identifier's keyword and the identifier:
// "Invoice no. 42", "order number 88231", "ref is B-7".
var idFillers = set("no", "number", "num", "id", "ref", "reference", "is")

// fallbackValues are the enum values a model picks when the text gives
// none of them.
var fallbackValues = set("other", "unknown", "none", "neutral", "n/a", "unspecified")

// sentimentValues make an enum a sentiment when it has two of them.
var sentimentValues = set("positive", "negative", "neutral", "mixed")

// currencySigns are the signs and codes written by an amount, with the
// currency's code; currencyNames are the words that name a currency.
var (
	currencySigns = map[string]string{"$": "USD", "USD": "USD", "€": "EUR", "EUR": "EUR", "£": "GBP", "GBP": "GBP", "¥": "JPY"}
	currencyNames = map[string]string{
		"usd": "USD", "dollars": "USD", "dollar": "USD",
		"eur": "EUR", "euro": "EUR", "euros": "EUR",
		"gbp": "GBP", "pounds": "GBP", "sterling": "GBP",
	}
)

// ageCues precede an age: "age 30", "turned 41".
var ageCues = set("age", "aged", "turned", "turns", "age:")

// ageFillers may stand between an age cue and the age: "age: 30", "aged
// of 30", "age is 30".
var ageFillers = set(":", "is", "of", "=", "-")

// copulas and pronouns make "he is 34" an age.
var (
	copulas  = set("is", "am", "are", "was")
	pronouns = set("he", "she", "they", "i")
)

// yearWords follow an age: "30 years old", "30 yo".
var yearWords = set("years", "year", "yrs", "yo", "y/o")

// ratingCues precede a rating: "rating: 4", "rated it 3".
var ratingCues = set("rating", "rated", "rate", "score")

// yesValues and noValues are a boolean label's value in words.
var (
	yesValues = set("yes", "y", "true", "paid", "confirmed", "required", "1")
	noValues  = set("no", "n", "false", "0", "unpaid", "none")
)

// boolAliases are the keywords whose phrases are another's.
var boolAliases = map[string]string{"online": "virtual", "remote": "virtual", "recommended": "recommend", "recommends": "recommend"}
