package rounds

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/reask/reask"
)

// Round is what one round of a run sent: the batches it submitted and the
// requests they hold, and the answers of the direct calls it made.
// Config.OnRound hands each round over as it is sent; a later run given
// them as Config.Resume re-attaches to them instead of paying again.
type Round struct {
	// Batches are the ids of the round's batches, in submission order.
	Batches []string `json:"batches,omitempty"`
	// Lines maps the custom_id (CustomID) of each request in Batches to
	// its request's digest, so that a resumed run takes a result only for
	// the very request it answers.
	Lines map[string]string `json:"lines,omitempty"`
	// Answers are the direct calls' answers (FinishDirectUnder), by
	// custom_id.
	Answers map[string]Answer `json:"answers,omitempty"`
}

// Answer is a direct call's answer as a Round keeps it: the response, or
// the error.
type Answer struct {
	// Digest is the request's digest.
	Digest       string           `json:"digest"`
	Content      string           `json:"content,omitempty"`
	ToolCalls    []reask.ToolCall `json:"tool_calls,omitempty"`
	FinishReason string           `json:"finish_reason,omitempty"`
	Refusal      string           `json:"refusal,omitempty"`
	Usage        reask.Usage      `json:"usage"`
	Model        string           `json:"model,omitempty"`
	RequestID    string           `json:"request_id,omitempty"`
	// Error is why the call failed; nil when it was answered.
	Error *AnswerError `json:"error,omitempty"`
}

// AnswerError is a failed direct call: what reask made of it (Kind), the
// HTTP status and the message.
type AnswerError struct {
	Kind    reask.Kind `json:"kind"`
	Status  int        `json:"status,omitempty"`
	Message string     `json:"message"`
}

// answerOf keeps a direct call's outcome.
func answerOf(resp *reask.Response, err error) Answer {
	if err != nil {
		ae := &AnswerError{Kind: reask.KindUnknown, Message: err.Error()}
		var pe *reask.ProviderError
		if errors.As(err, &pe) {
			ae.Kind, ae.Status, ae.Message = pe.Kind, pe.StatusCode, pe.Message
			if ae.Kind == "" {
				ae.Kind = reask.StatusKind(pe.StatusCode)
			}
		} else if transient(err) {
			ae.Kind = reask.KindConnection
		}
		return Answer{Error: ae}
	}
	if resp == nil {
		return Answer{Error: &AnswerError{Kind: reask.KindEmpty, Message: "no response"}}
	}
	return Answer{Content: resp.Content, ToolCalls: resp.ToolCalls, FinishReason: resp.FinishReason, Refusal: resp.Refusal,
		Usage: resp.Usage, Model: resp.Model, RequestID: resp.RequestID}
}

// result gives the kept outcome back, as provider name's.
func (a Answer) result(name string) (*reask.Response, error) {
	if a.Error != nil {
		return nil, &reask.ProviderError{Provider: name, Kind: a.Error.Kind, StatusCode: a.Error.Status, Message: a.Error.Message}
	}
	return &reask.Response{Content: a.Content, ToolCalls: a.ToolCalls, FinishReason: a.FinishReason, Refusal: a.Refusal,
		Usage: a.Usage, Model: a.Model, RequestID: a.RequestID}, nil
}

// StateVersion is the version of the State file format.
const StateVersion = 1

// State is what a run keeps on disk so that a later run can resume it:
// where its batches were sent and the rounds it sent. SetRound and Save
// keep it as OnRound is told; Load reads it back for Config.Resume.
type State struct {
	Version int `json:"version"`
	// BaseURL and Model name the provider account the batches were sent
	// to (never its key): a batch id means nothing elsewhere.
	BaseURL string `json:"base_url"`
	Model   string `json:"model"`
	// Rounds are the rounds sent, in order.
	Rounds []Round `json:"rounds"`
}

// SetRound records round n (from 1), replacing what it held.
func (s *State) SetRound(n int, r Round) error {
	switch {
	case n < 1 || n > len(s.Rounds)+1:
		return fmt.Errorf("rounds: round %d after %d rounds", n, len(s.Rounds))
	case n == len(s.Rounds)+1:
		s.Rounds = append(s.Rounds, r)
	default:
		s.Rounds[n-1] = r
	}
	return nil
}

// Save writes the state to path atomically: a temporary file in the same
// directory, synced, then renamed over path, so that a crash leaves the
// old state or the new one, never a part.
func (s *State) Save(path string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("rounds: encoding the state: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("rounds: saving the state: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rounds: saving the state to %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		// The rename is durable once the directory is synced.
		d.Sync()
		d.Close()
	}
	return nil
}

// ErrNoState: Load found no state file.
var ErrNoState = errors.New("rounds: no state file")

// Load reads the state Save wrote at path; a missing file matches
// ErrNoState, an unreadable one is an error naming it.
func Load(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoState, path)
	}
	if err != nil {
		return nil, fmt.Errorf("rounds: reading the state: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("rounds: %s is not a state file: %w", path, err)
	}
	if s.Version != StateVersion {
		return nil, fmt.Errorf("rounds: %s is a state file of version %d; this reask reads version %d", path, s.Version, StateVersion)
	}
	return &s, nil
}
