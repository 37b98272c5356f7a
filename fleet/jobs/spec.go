package jobs

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/reask/reask/schema"
)

// Spec is what a job's workers need to run its items, stored with the job:
// the schema and the settings of the extraction. It never holds an API
// key: each worker calls the provider with its own credentials, and a
// worker that has none for Provider refuses the job (ErrCannotServe).
// Zero fields are the worker's defaults.
type Spec struct {
	// Schema is the JSON Schema document every answer must satisfy.
	// Required; it must compile with SchemaConfig.
	Schema json.RawMessage `json:"schema"`
	// SchemaName names the schema where a provider wants a name.
	SchemaName string `json:"schema_name,omitempty"`
	// SchemaConfig is how Schema is compiled: limits and formats.
	SchemaConfig schema.Config `json:"schema_config,omitzero"`
	// Provider names the provider kind ("openai", "anthropic", "sim") and
	// Model the model; a worker decides whether it can serve them.
	Provider string `json:"provider,omitempty"`
	Model    string `json:"model,omitempty"`
	// Mode is how the schema is sent (reask.Mode: "json_schema", …).
	Mode string `json:"mode,omitempty"`
	// Instructions are the system instructions (--prompt).
	Instructions string `json:"instructions,omitempty"`
	// MaxAttempts counts content attempts, the first included.
	MaxAttempts int `json:"max_attempts,omitempty"`
	// MaxTokens caps each answer; Temperature, when set, is sent.
	MaxTokens   int      `json:"max_tokens,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	// Timeout bounds an item's extraction, CallTimeout each provider call
	// (JSON: nanoseconds). CallTimeout also sets the workers' default
	// visibility timeout.
	Timeout     time.Duration `json:"timeout_ns,omitempty"`
	CallTimeout time.Duration `json:"call_timeout_ns,omitempty"`
	// SchemaInPrompt also writes the schema into the prompt; KeepOnRepeat
	// spends every attempt when the model repeats invalid values.
	SchemaInPrompt bool `json:"schema_in_prompt,omitempty"`
	KeepOnRepeat   bool `json:"keep_on_repeat,omitempty"`
	// Settings carries other settings by name, for workers that know them;
	// a worker ignores the names it does not know.
	Settings map[string]string `json:"settings,omitempty"`
}

// Compile compiles the spec's schema; its error says why it does not.
func (s Spec) Compile() (*schema.Schema, error) {
	if len(s.Schema) == 0 {
		return nil, fmt.Errorf("%w: the job's spec has no schema", ErrConfig)
	}
	sch, err := s.SchemaConfig.CompileNamed(s.SchemaName, s.Schema)
	if err != nil {
		return nil, fmt.Errorf("jobs: the job's schema: %w", err)
	}
	return sch, nil
}

// Job is a job as a worker sees it: its name, spec and compiled schema.
// A Handler may key a cache (a client per job) on Incarnation, which
// changes when a job of the same name is started again.
type Job struct {
	Name        string
	Incarnation string
	Spec        Spec
	Schema      *schema.Schema
}

// Item is one input item handed to a Handler.
type Item struct {
	// ID is the item's id, unique in the job (see package batch).
	ID string
	// Line is its line in the input.
	Line int
	// Text is the text to extract from.
	Text string
	// Input is the input line, as the dead letter keeps it.
	Input json.RawMessage
	// Deliveries counts the times the queue has handed the item to a
	// worker, this one included: more than one after a worker died (or
	// failed it) while running it.
	Deliveries int
}

// input is the part of an input line a worker reads.
type input struct {
	Text string `json:"text"`
}
