package dataset_test

import (
	"fmt"

	"github.com/reask/reask/sim/dataset"
)

func ExampleGenerate() {
	for _, it := range dataset.Generate(2, 1) {
		fmt.Println(it.ID, it.Schema)
		fmt.Println(it.Text)
		fmt.Println(string(it.Gold))
	}
	// Output:
	// contact-00000 contact
	// Please add Nina Patel to the mailing list. He is 63 years old and the email is nina.patel@post.co. Mobile: 847-671-3060.
	// {"name":"Nina Patel","age":63,"email":"nina.patel@post.co","phone":"847-671-3060"}
	// review-00001 review
	// Bought my Vitamix E310 last month. Constant connection drops. A 1-star experience overall; can't recommend it.
	// {"product_name":"Vitamix E310","rating":1.0,"sentiment":"negative","would_recommend":false}
}
