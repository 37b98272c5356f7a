// Package naive is the "Complete Production Retry System" (SmartRetry) of
// the retry-loop tutorial reask grew from — "the seed" in the benchmarks'
// tables — ported line for line to Go, for benchmarks: reask is measured
// side by side with what that tutorial does.
//
// Per attempt (max_retries = 3): call the API with an inner loop that
// retries only rate limits (3 times, delay base·2^n + up to 10% jitter);
// parse with a strict JSON parser; validate; on a JSON error append the
// answer and "Your response was not valid JSON"; on a validation error
// append the answer and every error with its field; on a connection error
// sleep min(5, base·(attempt+1)) seconds. Server errors (5xx) are not
// caught by the seed's except clauses and end the extraction. The whole
// conversation is kept and grows with every attempt.
package naive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/reask/reask/schema"
)

// Config mirrors the seed's RetryConfig.
type Config struct {
	BaseURL    string
	Model      string
	MaxRetries int           // content attempts; seed default 3
	BaseDelay  time.Duration // seed default 1s
	MaxDelay   time.Duration // seed default 60s
	Client     *http.Client
	// Mode is "json_object" (the seed's) or "json_schema".
	Mode string
	// ServerRetries, when positive, makes each call retry server errors
	// (5xx) as the seed's call_with_backoff does: up to ServerRetries
	// tries, waiting BaseDelay·2^n between them. SmartRetry itself does not
	// catch server errors.
	ServerRetries int
}

// Result is one extraction's outcome and cost.
type Result struct {
	OK               bool
	Data             json.RawMessage
	Attempts, Calls  int
	PromptTokens     int
	CompletionTokens int
	Status429        int
	Err              error
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Extract runs the seed's SmartRetry.extract.
func Extract(ctx context.Context, cfg Config, s *schema.Schema, text string) Result {
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 3
	}
	if cfg.BaseDelay == 0 {
		cfg.BaseDelay = time.Second
	}
	if cfg.MaxDelay == 0 {
		cfg.MaxDelay = time.Minute
	}
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	var pretty bytes.Buffer
	json.Indent(&pretty, s.JSON(), "", "  ")
	messages := []message{
		{"system", "You are a precise JSON extraction assistant.\nExtract information and return valid JSON matching the provided schema.\nIf you receive error feedback, carefully correct your response."},
		{"user", "Extract information from the following text.\nSchema:\n" + pretty.String() + "\nText:\n" + text + "\nReturn only valid JSON matching the schema."},
	}
	var res Result
	for attempt := 0; attempt < cfg.MaxRetries; attempt++ {
		res.Attempts = attempt + 1
		content, err := callAPI(ctx, cfg, s, messages, &res)
		if err != nil {
			var ce connError
			if errors.Is(err, errRateLimitExhausted) {
				// _handle_rate_limit: wait and use up an attempt.
				sleep(ctx, jittered(cfg, attempt))
				res.Err = err
				continue
			}
			if errors.As(err, &ce) {
				sleep(ctx, min(5*time.Second, cfg.BaseDelay*time.Duration(attempt+1)))
				continue
			}
			res.Err = err
			return res
		}
		var data any
		d := json.NewDecoder(strings.NewReader(content))
		d.UseNumber()
		if err := d.Decode(&data); err != nil || d.More() {
			if err == nil {
				err = errors.New("extra data after the JSON value")
			}
			messages = append(messages, message{"assistant", content},
				message{"user", fmt.Sprintf("Your response was not valid JSON.\nError: %v\nPlease return ONLY valid JSON with no additional text or formatting.", err)})
			res.Err = err
			continue
		}
		if vs := s.Validate(data); len(vs) > 0 {
			var lines []string
			for _, v := range vs {
				lines = append(lines, fmt.Sprintf("- Field '%s': %s (got: %s)", strings.TrimPrefix(v.Path, "/"), v.Problem, v.Got))
			}
			messages = append(messages, message{"assistant", content},
				message{"user", "The JSON has validation errors:\n" + strings.Join(lines, "\n") + "\nPlease fix these specific issues and return corrected JSON."})
			res.Err = &schema.ValidationError{Violations: vs}
			continue
		}
		res.OK, res.Data, res.Err = true, json.RawMessage(content), nil
		return res
	}
	return res
}

type connError struct{ error }

type rateLimited struct{}

func (rateLimited) Error() string { return "rate limited" }

// callAPI is _call_api: three tries on 429 only.
func callAPI(ctx context.Context, cfg Config, s *schema.Schema, messages []message, res *Result) (string, error) {
	for rateAttempt := 0; rateAttempt < 3; rateAttempt++ {
		content, err := post(ctx, cfg, s, messages, res)
		if errors.Is(err, rateLimited{}) {
			sleep(ctx, jittered(cfg, rateAttempt))
			continue
		}
		return content, err
	}
	return "", errRateLimitExhausted
}

var errRateLimitExhausted = errors.New("rate limit retry exhausted")

// jittered is _calculate_delay: base·2^n capped at max, plus up to 10%.
func jittered(cfg Config, n int) time.Duration {
	delay := min(cfg.BaseDelay*time.Duration(1<<n), cfg.MaxDelay)
	return delay + time.Duration(rand.Float64()*float64(delay)*0.1)
}

func post(ctx context.Context, cfg Config, s *schema.Schema, messages []message, res *Result) (string, error) {
	for try := 0; ; try++ {
		content, err := post1(ctx, cfg, s, messages, res)
		var se serverError
		if cfg.ServerRetries > 0 && errors.As(err, &se) && try+1 < cfg.ServerRetries {
			sleep(ctx, cfg.BaseDelay*time.Duration(1<<try))
			continue
		}
		return content, err
	}
}

// serverError is a 5xx answer.
type serverError struct{ error }

func post1(ctx context.Context, cfg Config, s *schema.Schema, messages []message, res *Result) (string, error) {
	body := map[string]any{"model": cfg.Model, "messages": messages, "temperature": 0}
	if cfg.Mode == "json_schema" {
		body["response_format"] = map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": s.Name(), "schema": s.JSON(), "strict": s.Strict()}}
	} else {
		body["response_format"] = map[string]any{"type": "json_object"}
	}
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(cfg.BaseURL, "/")+"/chat/completions", bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	res.Calls++
	resp, err := cfg.Client.Do(req)
	if err != nil {
		return "", connError{err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", connError{err}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		res.Status429++
		return "", rateLimited{}
	}
	if resp.StatusCode >= 500 {
		return "", serverError{fmt.Errorf("HTTP %d: %s", resp.StatusCode, schema.Shorten(string(data), 200))}
	}
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("HTTP %d: %s", resp.StatusCode, schema.Shorten(string(data), 200))
	}
	var out struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(data, &out); err != nil || len(out.Choices) == 0 {
		return "", fmt.Errorf("unreadable answer: %v", err)
	}
	res.PromptTokens += out.Usage.PromptTokens
	res.CompletionTokens += out.Usage.CompletionTokens
	return out.Choices[0].Message.Content, nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
