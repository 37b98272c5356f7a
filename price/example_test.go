package price_test

import (
	"fmt"

	"github.com/reask/reask/price"
)

// What an answer of gpt-4o-mini cost, priced with the table shipped with
// reask: the model's dated name finds its family's price.
func Example() {
	p, name, ok := price.Default().Lookup("gpt-4o-mini-2024-07-18")
	if !ok {
		fmt.Println("unpriced")
		return
	}
	cost := p.Cost(price.Usage{Input: 1200, CachedInput: 1024, Output: 300})
	fmt.Printf("%s: $%.6f\n", name, cost)
	// Output: gpt-4o-mini: $0.000283
}
