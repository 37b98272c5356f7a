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
	// From: Nina Patel <nina.patel@post.co>
	// Nina is a 63-year-old accountant; phone 847-671-3060.
	// {"name":"Nina Patel","age":63,"email":"nina.patel@post.co","phone":"847-671-3060"}
	// review-00001 review
	// I'd give the Vitamix E310 1 out of 5. Constant connection drops. Can't recommend it.
	// {"product_name":"Vitamix E310","rating":1.0,"sentiment":"negative","would_recommend":false}
}
