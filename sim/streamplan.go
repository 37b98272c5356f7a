package sim

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// streamPlan is what a stream's faults make of it, drawn as it starts.
type streamPlan struct {
	delay time.Duration // between chunks
	size  int           // chunk length
	// cutAt is the share of the answer sent when the stream is cut off
	// (above 1: never); clean says the response then ends as a good one
	// does, without the final chunk or end event, rather than the
	// connection being dropped.
	cutAt float64
	clean bool
	// corruptAt is the share of the answer after which a stray token
	// breaks it (above 1: never).
	corruptAt float64
}

// corruptToken is what a corrupted stream writes into its answer: no JSON
// reader, however lenient, takes it for a value.
const corruptToken = " <|garbled|> "

// streamDecision draws a stream's faults: whether it crawls, is cut off
// (dropped, or ended cleanly) or breaks late. A fault whose rate is 0
// draws nothing, so that profiles without it see the same streams as
// before it existed.
func (s *Server) streamDecision(tr *rand.Rand) streamPlan {
	st := s.prof.Stream
	p := streamPlan{delay: time.Duration(s.latency.PerToken), size: st.ChunkChars, cutAt: 2, corruptAt: 2}
	if p.size <= 0 {
		p.size = 4
	}
	if st.TokensPerSecond > 0 {
		p.delay = time.Duration(float64(time.Second) * float64(p.size) / 4 / st.TokensPerSecond)
	}
	if u := tr.Float64(); u < st.SlowRate {
		p.delay = time.Duration(st.SlowDelay)
		s.countTransport("slow_stream", false)
	}
	if u := tr.Float64(); u < st.DropRate {
		p.cutAt = 0.2 + 0.6*tr.Float64()
	}
	if st.TruncateRate > 0 && p.cutAt > 1 {
		if u := tr.Float64(); u < st.TruncateRate {
			p.cutAt, p.clean = 0.2+0.6*tr.Float64(), true
		}
	}
	if st.CorruptRate > 0 {
		if u := tr.Float64(); u < st.CorruptRate {
			p.corruptAt = 0.7 + 0.2*tr.Float64()
			s.countTransport("stream_corrupt", false)
		}
	}
	return p
}

// corrupt writes the stray token into text after p.corruptAt of it, at a
// member's boundary (after a comma) where there is one.
func (p streamPlan) corrupt(text string) string {
	if p.corruptAt > 1 || text == "" {
		return text
	}
	at := int(p.corruptAt * float64(len(text)))
	if i := strings.IndexByte(text[at:], ','); i >= 0 {
		at += i + 1
	}
	for at < len(text) && text[at]&0xC0 == 0x80 {
		at++
	}
	return text[:at] + corruptToken + text[at:]
}

// cut ends a stream that its plan cuts off: the connection dropped, or
// the response left to end without its last events.
func (s *Server) cut(w http.ResponseWriter, p streamPlan) {
	if p.clean {
		s.countTransport("stream_truncate", false)
		return
	}
	s.countTransport("stream_drop", true)
	drop(w)
}

// pacer returns a wait before each chunk of a stream: delay after the
// previous chunk's due time, not after its wait ended, so that the small
// overshoot of every timer does not add up over a stream's hundreds of
// chunks (a model's pace does not drift with the length of its answer).
func (s *Server) pacer(delay time.Duration) func(context.Context) error {
	if delay <= 0 {
		return func(context.Context) error { return nil }
	}
	next := s.clk.Now()
	return func(ctx context.Context) error {
		next = next.Add(delay)
		if d := next.Sub(s.clk.Now()); d > 0 {
			return s.clk.Sleep(ctx, d)
		}
		return ctx.Err()
	}
}
