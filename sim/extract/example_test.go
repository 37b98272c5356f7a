package extract_test

import (
	"fmt"

	"github.com/reask/reask/sim/extract"
)

func ExampleExtract() {
	s, err := extract.ParseSchema([]byte(`{
	  "type": "object",
	  "properties": {
	    "customer_name": {"type": "string"},
	    "items": {"type": "array", "items": {"type": "string"}},
	    "total": {"type": "number"},
	    "shipping_address": {"type": "string"}
	  },
	  "required": ["customer_name", "items", "total", "shipping_address"]
	}`))
	if err != nil {
		panic(err)
	}
	text := "Order from John Smith\nItems: 2x Widget ($10 each), 1x Gadget ($25)\nShip to: 123 Main St, Boston MA\nTotal: $45.00"
	fmt.Println(string(extract.Marshal(extract.Extract(s, text))))
	// Output:
	// {"customer_name":"John Smith","items":["2x Widget","1x Gadget"],"total":45.0,"shipping_address":"123 Main St, Boston MA"}
}

func ExampleParseLenient() {
	v, syn, err := extract.ParseLenient("Sure! Here it is:\n```json\n{name: 'John', active: True,}\n```")
	fmt.Println(string(extract.Marshal(v)), err)
	fmt.Printf("%+v\n", syn)
	// Output:
	// {"name":"John","active":true} <nil>
	// {Fence:true Prose:true TrailingComma:true SingleQuotes:true UnquotedKeys:true Comments:false PythonLiterals:true Truncated:false}
}
