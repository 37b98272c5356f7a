package reask_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/schema"
)

type benchItem struct {
	ID    int      `json:"id"`
	Name  string   `json:"name"`
	Price float64  `json:"price"`
	Tags  []string `json:"tags"`
}

type benchOrder struct {
	Title string      `json:"title"`
	Items []benchItem `json:"items"`
	Notes string      `json:"notes"`
}

// BenchmarkStreamPerChunk measures what reask adds to each chunk of a
// streamed 300-token answer (1,200 bytes in 4-byte chunks) on top of the
// provider: the partial parse, the snapshot, the check of closed objects,
// and for Stream the decoding of each partial into the Go type (RunStream
// leaves it as JSON). The
// provider streams from memory; ns/chunk is the whole extraction's cost
// divided by the answer's chunks, beside Extract's for the same answer
// not streamed.
func BenchmarkStreamPerChunk(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"title": "Quarterly order of the northern region", "items": [`)
	for i := range 12 {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, `{"id": %d, "name": "item number %d", "price": %d.5, "tags": ["a", "b"]}`, i, i, 10*i+3)
	}
	sb.WriteString(`], "notes": "Delivered in full; the outlook is stable and every line was checked."}`)
	text := sb.String()
	chunks := (len(text) + 3) / 4
	c := streamClient(b, &streamer{chunk: 4, answers: []streamed{{text: text}}})
	perChunk := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*chunks), "ns/chunk")
	}
	b.Run("Stream[T]", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, err := range reask.Stream[benchOrder](b.Context(), c, "order") {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		perChunk(b)
	})
	sch, err := schema.For[benchOrder]()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("RunStream", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, err := range c.RunStream(b.Context(), reask.Task{Schema: sch, Input: "order"}) {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		perChunk(b)
	})
	b.Run("Extract", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := reask.Extract[benchOrder](b.Context(), c, "order"); err != nil {
				b.Fatal(err)
			}
		}
		perChunk(b)
	})
}
