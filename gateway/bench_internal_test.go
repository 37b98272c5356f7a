package gateway

import "testing"

// A benchmark of the gateway's reading of a schema-enforced request, one of
// the two JSON documents on its hot path (the upstream's answer is the
// other: see internal/openaiwire's BenchmarkReadAnswer).

var benchRequest = []byte(`{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Extract the person's details."},{"role":"user","content":"Contact John Doe, age 30, at john@email.com"}],"response_format":{"type":"json_schema","json_schema":{"name":"person","strict":false,"schema":{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"email":{"type":"string"}},"required":["name","age","email"],"additionalProperties":false}}}}`)

func BenchmarkParseChatRequest(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchRequest)))
	for b.Loop() {
		if _, err := parseChatRequest(benchRequest); err != nil {
			b.Fatal(err)
		}
	}
}
