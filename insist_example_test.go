package reask_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/reask/reask"
)

// A model that gives the same invalid value again after the sharper
// feedback, twice, is not asked a fifth time: the text says 45, the schema wants
// at least 200, and the model insists.
func ExampleInsistedError() {
	client, stop := newSimClient(reask.Config{MaxAttempts: 5})
	defer stop()
	type Strict struct {
		Name string `json:"name"`
		Age  int    `json:"age" jsonschema:"minimum=200"`
	}
	_, report, err := reask.Extract[Strict](context.Background(), client, "Mike (45)")
	var ie *reask.InsistedError
	if errors.As(err, &ie) {
		fmt.Println("insists at", ie.Path, "on", ie.Value)
		fmt.Println("gave up:", errors.Is(err, reask.ErrExhausted))
		fmt.Println("attempts:", report.Attempts, "saved:", report.AttemptsSaved)
	}
	// Output:
	// insists at /age on 45
	// gave up: true
	// attempts: 4 saved: 1
}
