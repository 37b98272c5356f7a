// Command stream-bench measures what streaming buys: the time to the
// first partial answer and to the final, valid one, for Extract (Run) and
// Stream (RunStream) in the library, and for the gateway's two streaming
// modes (X-Reask-Stream: validated, the default, and live), against the
// simulator at a model-like pace: -tps tokens per second (50), after a
// fixed -ttft before the first token (400ms), on answers of about 300
// tokens (an order of -items line items). Each path runs on a clean
// profile (the first answer is valid) and on one whose first answer lacks
// a field (one re-ask).
//
// Time is the wall clock: the simulator sleeps between chunks as a model
// writes. Each cell is the median of -n runs.
//
//	go run ./bench/stream -n 3
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/gateway"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/sim"
	"github.com/reask/reask/sim/dataset"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "stream-bench:", err)
		os.Exit(1)
	}
}

type config struct {
	n     int
	tps   float64
	ttft  time.Duration
	items int
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("stream-bench", flag.ContinueOnError)
	var c config
	fs.IntVar(&c.n, "n", 3, "runs per cell (the median is shown)")
	fs.Float64Var(&c.tps, "tps", 50, "the simulator's pace, tokens per second")
	fs.DurationVar(&c.ttft, "ttft", 400*time.Millisecond, "the simulator's time to the first token")
	fs.IntVar(&c.items, "items", 19, "line items in the order (19: about 300 tokens)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	doc, _ := dataset.Schema(dataset.Order)
	sch, err := schema.Compile(doc)
	if err != nil {
		return err
	}
	text := orderText(c.items)
	fmt.Fprintf(out, "| profile | path | first partial (gateway: first byte) | final | bytes received |\n|---|---|---:|---:|---:|\n")
	for _, p := range []struct{ name, faults string }{
		{"clean", ``},
		{"one re-ask", `"faults": {"missing_field": 1}, "feedback": {"fix_specific": 1, "fix_generic": 0},`},
	} {
		prof, err := sim.ParseProfile([]byte(fmt.Sprintf(`{%s "ignore_strict": true,
			"latency": {"median": %q, "p99": %q, "per_token": %q},
			"stream": {"chunk_chars": 4, "tokens_per_second": %v}}`,
			p.faults, c.ttft, c.ttft, time.Duration(float64(time.Second)/c.tps), c.tps)))
		if err != nil {
			return err
		}
		srv, err := sim.New(sim.Config{Seed: 1, Profile: prof})
		if err != nil {
			return err
		}
		up := httptest.NewServer(srv)
		client, err := reask.New(openai.NewProvider(openai.Config{BaseURL: up.URL + "/v1", APIKey: "sk-bench-key", Model: "gpt-4o-mini"}),
			reask.Config{NoRateLimit: true})
		if err != nil {
			return err
		}
		gw, err := gateway.New(gateway.Config{Upstreams: []gateway.Upstream{{Name: "sim", BaseURL: up.URL + "/v1", APIKey: "sk-bench-key"}},
			ClientKeys: []reask.Secret{"bench-client"}, Reask: reask.Config{NoRateLimit: true}})
		if err != nil {
			return err
		}
		gws := httptest.NewServer(gw)
		task := reask.Task{Schema: sch, Input: text}
		paths := []struct {
			name string
			run  func() (first, final time.Duration, size int, err error)
		}{
			{"Extract (Run)", func() (time.Duration, time.Duration, int, error) { return runExtract(client, task) }},
			{"Stream (RunStream)", func() (time.Duration, time.Duration, int, error) { return runStream(client, task) }},
			{"gateway, validated", func() (time.Duration, time.Duration, int, error) { return runGateway(gws.URL, doc, text, "") }},
			{"gateway, live", func() (time.Duration, time.Duration, int, error) {
				return runGateway(gws.URL, doc, text, gateway.StreamLive)
			}},
		}
		for _, path := range paths {
			var firsts, finals []time.Duration
			size := 0
			for range c.n {
				first, final, n, err := path.run()
				if err != nil {
					return fmt.Errorf("%s, %s: %w", p.name, path.name, err)
				}
				firsts, finals, size = append(firsts, first), append(finals, final), n
			}
			fmt.Fprintf(out, "| %s | %s | %s | %s | %d |\n", p.name, path.name, median(firsts), median(finals), size)
		}
		gws.Close()
		gw.Close()
		up.Close()
	}
	return nil
}

// orderText is an order of n line items.
func orderText(n int) string {
	names := []string{"Notebook", "Water Bottle", "Plant Pot", "Desk Lamp", "Coffee Mug", "Backpack", "Phone Case", "Yoga Mat"}
	var b strings.Builder
	b.WriteString("Lucia Walker ordered ")
	total := 0
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		q, price := 1+i%4, 4+3*i
		total += q * price
		fmt.Fprintf(&b, "%dx %s %d ($%d.00 each)", q, names[i%len(names)], i+1, price)
	}
	fmt.Fprintf(&b, " - ship to 6598 Pine Street, Chicago, IL 60601; total $%d.00.", total)
	return b.String()
}

func runExtract(c *reask.Client, t reask.Task) (first, final time.Duration, size int, err error) {
	t0 := time.Now()
	doc, _, err := c.Run(context.Background(), t)
	d := time.Since(t0)
	return d, d, len(doc), err
}

func runStream(c *reask.Client, t reask.Task) (first, final time.Duration, size int, err error) {
	t0 := time.Now()
	for p, err := range c.RunStream(context.Background(), t) {
		if err != nil {
			return 0, 0, 0, err
		}
		if first == 0 && p.JSON != nil {
			first = time.Since(t0)
		}
		if p.Final {
			return first, time.Since(t0), len(p.Value), nil
		}
	}
	return 0, 0, 0, fmt.Errorf("no final answer")
}

// runGateway sends a streamed schema request and times its first body
// byte and its [DONE].
func runGateway(url string, doc json.RawMessage, text, mode string) (first, final time.Duration, size int, err error) {
	msgs, _ := json.Marshal([]map[string]string{{"role": "user", "content": "Extract the order.\n" + text}})
	body := fmt.Sprintf(`{"model":"gpt-4o-mini","stream":true,"messages":%s,"response_format":{"type":"json_schema","json_schema":{"name":"order","strict":false,"schema":%s}}}`, msgs, doc)
	req, err := http.NewRequest(http.MethodPost, url+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		return 0, 0, 0, err
	}
	req.Header.Set("Authorization", "Bearer bench-client")
	req.Header.Set("Content-Type", "application/json")
	if mode != "" {
		req.Header.Set(gateway.StreamHeader, mode)
	}
	t0 := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return 0, 0, 0, fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	br := bufio.NewReader(resp.Body)
	if _, err := br.Peek(1); err != nil {
		return 0, 0, 0, err
	}
	first = time.Since(t0)
	rest, err := io.ReadAll(br)
	if err != nil {
		return 0, 0, 0, err
	}
	if !bytes.Contains(rest, []byte("data: [DONE]")) {
		return 0, 0, 0, fmt.Errorf("no [DONE] in %s", rest)
	}
	return first, time.Since(t0), len(rest), nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond)
}
