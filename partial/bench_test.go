package partial

import (
	"fmt"
	"strings"
	"testing"
)

// answer300 is an answer of about 300 tokens (1,200 bytes), cut into
// chunks of 4 bytes, about a token each, as providers stream them.
func answer300() [][]byte {
	var b strings.Builder
	b.WriteString(`{"title": "Quarterly report of the northern region", "year": 2026, "approved": true, "items": [`)
	for i := range 12 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `{"id": %d, "name": "item number %d \"quoted\"", "price": %d.%02d, "tags": ["a", "b\n"]}`, i, i, 10*i+3, i)
	}
	b.WriteString(`], "summary": "Sales grew in every month but one; the outlook is stable.", "score": 0.87}`)
	text := b.String()
	var chunks [][]byte
	for i := 0; i < len(text); i += 4 {
		chunks = append(chunks, []byte(text[i:min(i+4, len(text))]))
	}
	return chunks
}

// BenchmarkChunk measures what one chunk of a 300-token answer costs the
// parser (ns/chunk), and with a snapshot of the value so far (its JSON
// text) after every chunk, as a stream takes one.
func BenchmarkChunk(b *testing.B) {
	chunks := answer300()
	for _, snap := range []bool{false, true} {
		b.Run(fmt.Sprintf("snapshot=%v", snap), func(b *testing.B) {
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				p := New(Options{Schema: personSchema})
				for _, c := range chunks {
					p.Write(c)
					if snap {
						buf = p.AppendJSON(buf[:0])
					}
				}
				if err := p.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(chunks)), "ns/chunk")
			b.ReportMetric(float64(len(chunks)), "chunks")
		})
	}
}

// BenchmarkChunkLength shows the cost per chunk staying flat as answers
// grow: linear in the answer, where parsing each prefix again would be
// quadratic.
func BenchmarkChunkLength(b *testing.B) {
	for _, items := range []int{10, 100, 1000} {
		var sb strings.Builder
		sb.WriteString(`{"items": [`)
		for i := range items {
			if i > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, `{"id": %d, "name": "name %d"}`, i, i)
		}
		sb.WriteString(`]}`)
		text := []byte(sb.String())
		n := (len(text) + 3) / 4
		b.Run(fmt.Sprintf("bytes=%d", len(text)), func(b *testing.B) {
			for b.Loop() {
				p := New(Options{})
				for i := 0; i < len(text); i += 4 {
					p.Write(text[i:min(i+4, len(text))])
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/chunk")
		})
	}
}
