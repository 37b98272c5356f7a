package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/reask/reask"
	"github.com/reask/reask/schema"
)

// PromptSchemaMode says which requests without a schema of their own the
// gateway holds to a JSON Schema written in their system or developer
// messages (see Config.PromptSchema).
type PromptSchemaMode string

const (
	// PromptSchemaJSONObject holds json_object requests (response_format
	// json_object, or text.format json_object on /v1/responses) to the
	// JSON Schema in their system or developer messages, when there is
	// one: the answer is repaired, validated against it and re-asked with
	// field-level feedback, as a request schema is. The request still
	// goes upstream as json_object.
	PromptSchemaJSONObject PromptSchemaMode = "json_object"
	// PromptSchemaAuto does what PromptSchemaJSONObject does, and holds a
	// request with no response format, no tools and one choice to its
	// prompt's schema when the prompt leaves no doubt that it wants that
	// JSON: the schema describes a whole object ("type": "object" with
	// "properties") and the system or developer messages say "JSON".
	// Such a request (instructor's MD_JSON) is then answered as with
	// PromptSchemaAlways; a chat request that merely shows a schema is
	// passed through. The default.
	PromptSchemaAuto PromptSchemaMode = "auto"
	// PromptSchemaAlways does that, and also holds requests with no
	// response format (or the text one), no tools and one choice to the
	// schema in their prompt: they go upstream as sent, and the answer is
	// the validated JSON, unfenced. Requests whose prompt holds no schema
	// pass through as before.
	PromptSchemaAlways PromptSchemaMode = "always"
	// PromptSchemaOff never reads the prompt: a json_object request is
	// held to "one JSON object" only (Config.JSONObject).
	PromptSchemaOff PromptSchemaMode = "off"
)

// Values of the X-Reask-Schema header: which schema the answer was held
// to.
const (
	schemaFromRequest = "request"     // response_format json_schema, a forced tool's parameters
	schemaFromPrompt  = "prompt"      // a JSON Schema in a system or developer message
	schemaAnyObject   = "json_object" // any JSON object: a json_object request without a usable prompt schema
)

// Request kinds (the metrics' kind label) of requests held to a prompt
// schema.
const (
	kindPromptSchema = "prompt_schema"
	kindPromptStream = "prompt_schema_stream"
)

// maxPromptSchemaErrorHeader bounds the X-Reask-Prompt-Schema-Error header.
const maxPromptSchemaErrorHeader = 300

// promptSchema is the compiled JSON Schema found in a request's prompt.
type promptSchema struct {
	sch *schema.Schema
	key schemaKey
	// preset is, for a preset's schema (see Preset), the model its
	// requests go upstream as; "" for a schema found in a prompt.
	preset string
}

// takePromptSchema holds cr to the JSON Schema in its system or developer
// messages, as Config.PromptSchema says: a json_object request the gateway
// repairs, and with PromptSchemaAlways a request without a response
// format (then of form ModeText). A schema that does not compile, passes
// a limit of Config.Schema or is ambiguous is not the client's error: the
// request goes on as it would without it, and the
// X-Reask-Prompt-Schema-Error header says why. It returns false when it
// answered the client itself (503 server_busy: no compilation slot).
func (g *Gateway) takePromptSchema(w http.ResponseWriter, r *http.Request, cr *chatRequest) bool {
	if cr.preset != nil {
		if err := cr.holdPreset(); err != nil {
			writeRequestError(w, err)
			return false
		}
		return true
	}
	mode := g.cfg.PromptSchema
	text := false
	switch {
	case mode == PromptSchemaOff:
		return true
	case cr.form == reask.ModeJSONObject:
	case (mode == PromptSchemaAlways || mode == PromptSchemaAuto) && cr.plainText():
		if cr.readMessages() != nil {
			// Passed through as before: the upstream judges the messages.
			cr.messages, cr.converted = nil, nil
			return true
		}
		text = true
	default:
		return true
	}
	sch, key, err := g.compilePromptSchema(r.Context(), cr, text && mode == PromptSchemaAuto)
	if errors.Is(err, errCompileBusy) {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, apiError{Type: "server_error",
			Code: ptr("server_busy"), Message: "The gateway is busy compiling other schemas; retry shortly."})
		return false
	}
	if err != nil {
		g.promptSchemaUnused(r.Context(), w.Header(), cr, err)
	}
	switch {
	case sch != nil:
		cr.prompt = &promptSchema{sch: sch, key: key}
		if text {
			cr.form = reask.ModeText
		}
	case text:
		// Passed through as before, the messages unread.
		cr.messages, cr.converted = nil, nil
	}
	return true
}

// compilePromptSchema compiles the JSON Schema in cr's system and developer
// messages (see findPromptSchema), within the gateway's schema limits and
// through its cache; nil without an error when there is none, or, when
// sure is set (PromptSchemaAuto on a request with no response format),
// when the prompt does not plainly ask for that schema's JSON (see
// asksForObject).
func (g *Gateway) compilePromptSchema(ctx context.Context, cr *chatRequest, sure bool) (*schema.Schema, schemaKey, error) {
	doc, err := findPromptSchema(cr.converted, g.cfg.PromptSchemaScanBytes)
	if doc == nil || err != nil {
		return nil, schemaKey{}, err
	}
	if sure && !asksForObject(cr.converted, doc, g.cfg.PromptSchemaScanBytes) {
		return nil, schemaKey{}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.RequestTimeout)
	defer cancel()
	return g.schemas.compile(ctx, g.cfg.Schema, "", doc)
}

// plainText reports whether cr asks for no structured output: no schema,
// no response format but text, no tools, one choice.
func (cr *chatRequest) plainText() bool {
	if cr.form != "" || cr.n > 1 || present(cr.top.Tools) {
		return false
	}
	if raw := cr.top.ResponseFormat; present(raw) {
		rf, ok := readResponseFormat(raw)
		return ok && rf.Type == "text"
	}
	return true
}

// promptSchemaUnused tells the client (a header) and the operator (a
// debug line) why the schema found in the prompt was not enforced; the
// log names the reason and the limit, never the prompt's content.
func (g *Gateway) promptSchemaUnused(ctx context.Context, h http.Header, cr *chatRequest, err error) {
	reason := "invalid"
	var le *schema.LimitError
	attrs := []slog.Attr{slog.String("model", cr.model)}
	switch {
	case errors.Is(err, errAmbiguousPromptSchema):
		reason = "ambiguous"
	case errors.As(err, &le):
		reason = "limit"
		attrs = append(attrs, slog.String("limit", le.Limit), slog.Int("max", le.Max))
	}
	attrs = append(attrs, slog.String("reason", reason))
	g.log.LogAttrs(ctx, slog.LevelDebug, "gateway: prompt schema not enforced", attrs...)
	h.Set("X-Reask-Prompt-Schema-Error", headerText("not enforced ("+reason+"): "+err.Error(), maxPromptSchemaErrorHeader))
}

// headerText is s shortened to at most n bytes of printable ASCII, fit
// for a header value.
func headerText(s string, n int) string {
	s = schema.Shorten(s, n)
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f {
			return ' '
		}
		return r
	}, s)
}

// schemaSource is the X-Reask-Schema header of a schema-path answer.
func (cr *chatRequest) schemaSource() string {
	switch {
	case cr.prompt != nil && cr.prompt.preset != "":
		return schemaFromPreset
	case cr.prompt != nil:
		return schemaFromPrompt
	case cr.form == reask.ModeJSONObject:
		return schemaAnyObject
	}
	return schemaFromRequest
}

// sought words what an exhausted request never got, for its 422: there is
// no schema to speak of in a json_object request without a prompt schema.
func (cr *chatRequest) sought() string {
	switch {
	case cr.prompt != nil && cr.prompt.preset != "":
		return "answer valid against the preset's JSON Schema"
	case cr.prompt != nil:
		return "answer valid against the JSON Schema in the prompt"
	case cr.form == reask.ModeJSONObject:
		return "valid JSON object"
	}
	return "schema-valid answer"
}

// promptSchemaNotMet turns a prompt-schema request whose every attempt
// failed the prompt's schema into the answer the client asked for, with
// X-Reask-Prompt-Schema-Error saying what it still breaks: for json_object,
// the last answer if it was a JSON object; for a request with no response
// format, the last answer repaired into an object if it could be, else as
// the model gave it. The schema is the gateway's
// reading of the prompt, not the client's contract, and a client that
// validates answers itself (instructor) re-asks on its own; a 422 would take
// that turn from it. A preset's schema is the operator's contract: its
// failures stay errors (422), as a request schema's do. Any other failure (a json_object answer that is no
// object, a refusal, transport) stays an error.
func promptSchemaNotMet(h http.Header, cr *chatRequest, err error) (json.RawMessage, bool) {
	var ee *reask.ExhaustedError
	if cr.prompt == nil || cr.prompt.preset != "" || !errors.As(err, &ee) {
		return nil, false
	}
	var doc json.RawMessage
	plain := cr.form == reask.ModeText && ee.LastKind.Content() && ee.LastKind != reask.KindRefusal
	obj, isObj := ee.LastValue.(map[string]any)
	switch {
	case isObj && (ee.LastKind == reask.KindSchema || plain):
		b, merr := json.Marshal(obj)
		if merr != nil {
			return nil, false
		}
		doc = b
	case plain && ee.LastRaw != "":
		// A request with no response format (PromptSchemaAlways) asked for
		// nothing the gateway could not give: it gets the model's last
		// answer as it came, as it would have without the gateway.
		doc = json.RawMessage(ee.LastRaw)
	default:
		return nil, false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "not met after %d attempt(s) (%s):", ee.Report.Attempts, ee.LastKind)
	for i, v := range ee.Violations {
		if i == 3 {
			fmt.Fprintf(&b, " and %d more", len(ee.Violations)-i)
			break
		}
		p := v.Path
		if p == "" {
			p = "(root)"
		}
		fmt.Fprintf(&b, " %s %s;", p, v.Problem)
	}
	h.Set("X-Reask-Prompt-Schema-Error", headerText(strings.TrimSuffix(b.String(), ";"), maxPromptSchemaErrorHeader))
	return doc, true
}
