package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/reask/reask/gateway"
	"github.com/reask/reask/sim"
)

// A gateway in front of the simulator: any OpenAI client sends a
// json_schema response format and gets back content valid against it.
func Example() {
	s, _ := sim.New(sim.Config{Seed: 1})
	upstream := httptest.NewServer(s)
	defer upstream.Close()

	g, err := gateway.New(gateway.Config{
		Upstreams: []gateway.Upstream{{Name: "sim", BaseURL: upstream.URL + "/v1"}},
	})
	if err != nil {
		panic(err)
	}
	defer g.Close()
	srv := httptest.NewServer(g)
	defer srv.Close()

	body := `{"model": "gpt-4o-mini",
	  "messages": [{"role": "system", "content": "Extract the person's details."},
	               {"role": "user", "content": "Contact John Doe, age 30, at john@email.com"}],
	  "response_format": {"type": "json_schema", "json_schema": {"name": "person", "strict": true,
	    "schema": {"type": "object", "additionalProperties": false, "required": ["name", "age", "email"],
	      "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "email": {"type": "string"}}}}}}`
	resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var c struct {
		Choices []struct {
			Message struct{ Content string }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		panic(err)
	}
	fmt.Println(resp.Status, "attempts:", resp.Header.Get("X-Reask-Attempts"))
	fmt.Println(c.Choices[0].Message.Content)
	// Output:
	// 200 OK attempts: 1
	// {"name":"John Doe","age":30,"email":"john@email.com"}
}
