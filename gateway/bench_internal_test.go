package gateway

import "testing"

// Benchmarks of the gateway's reading of a schema-enforced request and of
// an upstream's answer, the two JSON documents on its hot path.

var (
	benchRequest = []byte(`{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Extract the person's details."},{"role":"user","content":"Contact John Doe, age 30, at john@email.com"}],"response_format":{"type":"json_schema","json_schema":{"name":"person","strict":false,"schema":{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"email":{"type":"string"}},"required":["name","age","email"],"additionalProperties":false}}}}`)
	benchAnswer  = []byte(`{"id":"chatcmpl-c3bdc9ed3fe54a051cc52098","object":"chat.completion","created":1795763193,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"{\"name\":\"John Doe\",\"age\":30,\"email\":\"john@email.com\"}","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":73,"completion_tokens":14,"total_tokens":87,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_sim"}`)
)

func BenchmarkParseChatRequest(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchRequest)))
	for b.Loop() {
		if _, err := parseChatRequest(benchRequest); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadAnswer(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchAnswer)))
	for b.Loop() {
		var a upstreamAnswer
		if err := a.read(benchAnswer); err != nil {
			b.Fatal(err)
		}
	}
}
