package reask_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/repair"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/sim"
)

// newSimClient starts the simulated provider (clean profile) and returns a
// client for it configured by cfg; a real program passes OpenAI's URL and
// key instead.
func newSimClient(cfg reask.Config) (*reask.Client, func()) {
	srv, err := sim.New(sim.Config{Seed: 1})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	p := openai.NewProvider(openai.Config{BaseURL: ts.URL + "/v1", APIKey: "sk-example", Model: "gpt-4o-mini"})
	client, err := reask.New(p, cfg)
	if err != nil {
		panic(err)
	}
	return client, ts.Close
}

// A Config's zero value is ready to use; the fields set here change what
// most programs leave alone. An unusable configuration is New's error.
func ExampleNew() {
	srv, err := sim.New(sim.Config{Seed: 1})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	p := openai.NewProvider(openai.Config{BaseURL: ts.URL + "/v1", APIKey: "sk-example", Model: "gpt-4o-mini"})

	client, err := reask.New(p, reask.Config{
		Mode:        reask.ModeTools, // a forced tool call instead of a response format
		MaxAttempts: 2,               // one answer and at most one re-ask
		Timeout:     time.Minute,     // the whole extraction, retries and re-asks included
		NoBreaker:   true,            // negative counts and No* booleans turn a default off
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	type Person struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	// A per-call option overrides the Config for that call only.
	person, report, err := reask.Extract[Person](context.Background(), client, "Sarah, age 25", reask.WithMode(reask.ModeJSONSchema))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v in %s mode\n", person, report.Mode)

	_, err = reask.New(p, reask.Config{Mode: "yaml"})
	fmt.Println(err)
	// Output:
	// {Name:Sarah Age:25} in json_schema mode
	// reask: invalid input: unknown mode "yaml"
}

// A name, an age and an email, from a sentence.
func ExampleExtract() {
	type UserInfo struct {
		Name  string `json:"name"`
		Age   int    `json:"age"`
		Email string `json:"email"`
	}
	client, stop := newSimClient(reask.Config{})
	defer stop()

	user, report, err := reask.Extract[UserInfo](context.Background(), client, "Contact John Doe, age 30, at john@email.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v\n", user)
	fmt.Println("attempts:", report.Attempts, "calls:", report.Calls)
	// Output:
	// {Name:John Doe Age:30 Email:john@email.com}
	// attempts: 1 calls: 1
}

// ProductReview is a review with the sentiment constrained to an enum and
// the rating to 1–5.
type ProductReview struct {
	ProductName string  `json:"product_name"`
	Rating      float64 `json:"rating" jsonschema:"minimum=1,maximum=5"`
	Sentiment   string  `json:"sentiment" jsonschema:"enum=positive,enum=negative,enum=neutral"`
	Summary     string  `json:"summary"`
}

func ExampleExtract_productReview() {
	client, stop := newSimClient(reask.Config{})
	defer stop()
	review := `
OMG this phone is AMAZING!!! Battery lasts forever, camera is insane.
Definitely 5 stars, would buy again!!! Best purchase of 2024!
`
	r, _, err := reask.Extract[ProductReview](context.Background(), client, review)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.ProductName, r.Rating, r.Sentiment)
	// Output:
	// phone 5 positive
}

// OrderInfo is an order with a semantic check no schema can express.
type OrderInfo struct {
	CustomerName    string   `json:"customer_name"`
	Items           []string `json:"items"`
	Total           float64  `json:"total"`
	ShippingAddress string   `json:"shipping_address"`
}

// Validate is run after the schema check; its error is fed back to the model.
func (o OrderInfo) Validate() error {
	if o.Total <= 0 {
		return errors.New("/total: the total must be positive")
	}
	return nil
}

func ExampleExtract_orderInfo() {
	client, stop := newSimClient(reask.Config{Mode: reask.ModeTools})
	defer stop()
	order := `
Order from John Smith
Items: 2x Widget ($10 each), 1x Gadget ($25)
Ship to: 123 Main St, Boston MA
Total: $45.00
`
	o, _, err := reask.Extract[OrderInfo](context.Background(), client, order)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.Marshal(o)
	fmt.Println(string(b))
	// Output:
	// {"customer_name":"John Smith","items":["2x Widget","1x Gadget"],"total":45,"shipping_address":"123 Main St, Boston MA"}
}

// Run takes a schema of one's own, compiled once, and returns the valid
// JSON document.
func ExampleClient_Run() {
	client, stop := newSimClient(reask.Config{})
	defer stop()
	s, err := schema.Compile([]byte(`{
		"type": "object",
		"properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
		"required": ["name", "age"],
		"additionalProperties": false
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	doc, report, err := client.Run(context.Background(), reask.Task{Schema: s, Input: "Mike (45)"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(doc), report.Outcome)
	// Output:
	// {"name":"Mike","age":45} ok
}

// Many extractions at once, with bounded concurrency, as an iterator of
// results in the order they complete.
func ExampleClient_Batch() {
	type Person struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	client, stop := newSimClient(reask.Config{})
	defer stop()
	s, _ := schema.For[Person]()
	texts := []string{"John is 30 years old", "Sarah, age 25", "Mike (45)"}
	tasks := func(yield func(string, reask.Task) bool) {
		for i, t := range texts {
			if !yield(fmt.Sprint(i), reask.Task{Schema: s, Input: t}) {
				return
			}
		}
	}
	results := make([]string, len(texts))
	for r := range client.Batch(context.Background(), tasks, reask.BatchConfig{Concurrency: 3}) {
		results[r.Index] = string(r.JSON)
	}
	for i, t := range texts {
		fmt.Printf("%s -> %s\n", t, results[i])
	}
	// Output:
	// John is 30 years old -> {"name":"John","age":30}
	// Sarah, age 25 -> {"name":"Sarah","age":25}
	// Mike (45) -> {"name":"Mike","age":45}
}

// A failed extraction returns the best effort: the last answer, parsed, and
// what was wrong with it.
func ExampleExhaustedError() {
	client, stop := newSimClient(reask.Config{MaxAttempts: 1})
	defer stop()
	type Strict struct {
		Name string `json:"name"`
		Age  int    `json:"age" jsonschema:"minimum=200"`
	}
	_, report, err := reask.Extract[Strict](context.Background(), client, "Mike (45)")
	var ee *reask.ExhaustedError
	if errors.As(err, &ee) {
		fmt.Println("attempts:", report.Attempts)
		for _, v := range ee.Violations {
			fmt.Println(v)
		}
	}
	// Output:
	// attempts: 1
	// /age: too small: got 45 (number); expected integer >= 200
}

// A repair function of one's own replaces the built-in repair: here a
// strict one that accepts nothing but plain JSON, and counts the answers
// it saw.
func ExampleConfig_repair() {
	type UserInfo struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	seen := 0
	strict := func(answer []byte, s *schema.Schema) (*repair.Result, error) {
		seen++
		return repair.Parse(answer, repair.Options{Level: repair.Off, Schema: s})
	}
	client, stop := newSimClient(reask.Config{Repair: strict})
	defer stop()

	user, _, err := reask.Extract[UserInfo](context.Background(), client, "Mike (45)")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v, %d answer checked\n", user, seen)
	// Output:
	// {Name:Mike Age:45}, 1 answer checked
}
