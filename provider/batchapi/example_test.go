package batchapi_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/provider/batchapi"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/sim"
)

// A batch through OpenAI's Batch API (here the simulator's, on a fake
// clock that the poller's waits move on): submit, wait, read the results
// by custom_id.
func Example() {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	srv, err := sim.New(sim.Config{Seed: 1, Clock: clk})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	p := openai.NewProvider(openai.Config{BaseURL: ts.URL + "/v1", Model: "gpt-4o-mini", Clock: clk})
	var c batchapi.Client = openai.NewBatchClient(p, openai.BatchConfig{})
	schema := []byte(`{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}`)
	var lines []batchapi.Line
	for id, text := range map[string]string{"ann": "Ann Lee, age 41", "bob": "Bob Stone, age 35"} {
		lines = append(lines, batchapi.Line{CustomID: id, Request: &reask.Request{
			Messages: []reask.Message{{Role: reask.RoleUser, Content: "Extract the person.\nText: " + text}},
			Schema:   schema, SchemaName: "person"}})
	}
	ids, err := c.Submit(ctx, lines)
	if err != nil {
		panic(err)
	}
	st, err := batchapi.Poller{Clock: clk}.Wait(ctx, c, ids[0])
	if err != nil {
		panic(err)
	}
	fmt.Println(st.State, st.Succeeded, "of", st.Total)
	res, err := c.Results(ctx, ids[0])
	if err != nil {
		panic(err)
	}
	slices.SortFunc(res, func(a, b batchapi.Result) int { return strings.Compare(a.CustomID, b.CustomID) })
	for _, r := range res {
		fmt.Println(r.CustomID, r.Response.Content, r.Err)
	}
	// Output:
	// completed 2 of 2
	// ann {"name":"Ann Lee","age":41} <nil>
	// bob {"name":"Bob Stone","age":35} <nil>
}
