package responsesapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// DecodeError says which field could not be decoded and why: "input[2]
// .content" expected "a string or an array of content parts" but got "a
// number". Field is the path from the body's top level (relative to the
// value decoded when that is not a Request).
type DecodeError struct {
	Field    string
	Expected string
	Got      string
}

func (e *DecodeError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("responsesapi: expected %s, but got %s", e.Expected, e.Got)
	}
	return fmt.Sprintf("responsesapi: invalid type for '%s': expected %s, but got %s", e.Field, e.Expected, e.Got)
}

// kind names a JSON value's type as the API's errors do.
func kind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// goKind names a Go type's JSON form.
func goKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// joinPath appends field f to path p: "input" + "[2]" is "input[2]",
// "input[2]" + "content" is "input[2].content".
func joinPath(p, f string) string {
	switch {
	case f == "":
		return p
	case p == "":
		return f
	case strings.HasPrefix(f, "["):
		return p + f
	}
	return p + "." + f
}

// within places a decoding error of a value at path p.
func within(p string, err error) error {
	var de *DecodeError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &de):
		return &DecodeError{Field: joinPath(p, de.Field), Expected: de.Expected, Got: de.Got}
	case errors.As(err, &te):
		return &DecodeError{Field: joinPath(p, te.Field), Expected: goKind(te.Type), Got: jsonValueKind(te.Value)}
	}
	return err
}

// jsonValueKind turns UnmarshalTypeError.Value ("string", "number 3") into
// the API's words.
func jsonValueKind(v string) string {
	switch {
	case v == "string":
		return "a string"
	case strings.HasPrefix(v, "number"):
		return "a number"
	case v == "bool":
		return "a boolean"
	case v == "array":
		return "an array"
	case v == "object":
		return "an object"
	}
	return v
}

func isNull(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

func clone(raw []byte) json.RawMessage { return append(json.RawMessage(nil), raw...) }

// ---- Input ----

// MarshalJSON writes a string or the list of items.
func (in Input) MarshalJSON() ([]byte, error) {
	if in.Text != nil {
		return json.Marshal(*in.Text)
	}
	if in.Items == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(in.Items)
}

// UnmarshalJSON reads a string or a list of items; errors are
// *DecodeError naming the field ("input[1].content").
func (in *Input) UnmarshalJSON(b []byte) error {
	*in = Input{}
	switch kind(b) {
	case "a string":
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		in.Text = &s
		return nil
	case "an array":
	default:
		return &DecodeError{Field: "input", Expected: "a string or an array of input items", Got: kind(b)}
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return err
	}
	in.Items = make([]Item, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &in.Items[i]); err != nil {
			return within(fmt.Sprintf("input[%d]", i), err)
		}
	}
	return nil
}

// ---- Item ----

type itemWire struct {
	Type      string          `json:"type"`
	ID        string          `json:"id"`
	Status    string          `json:"status"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	CallID    string          `json:"call_id"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	Output    json.RawMessage `json:"output"`
}

// UnmarshalJSON reads any item, keeping its JSON in Raw.
func (it *Item) UnmarshalJSON(b []byte) error {
	if k := kind(b); k != "an object" {
		return &DecodeError{Expected: "an input item (an object)", Got: k}
	}
	var w itemWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*it = Item{Type: w.Type, ID: w.ID, Status: w.Status, Role: w.Role, CallID: w.CallID, Name: w.Name, Raw: clone(b)}
	if !isNull(w.Arguments) {
		// arguments are a JSON text inside a string, never an object
		if kind(w.Arguments) == "a string" {
			if err := json.Unmarshal(w.Arguments, &it.Arguments); err != nil {
				return err
			}
		} else {
			return &DecodeError{Field: "arguments", Expected: "a string", Got: kind(w.Arguments)}
		}
	}
	if !isNull(w.Content) {
		if err := it.Content.UnmarshalJSON(w.Content); err != nil {
			return within("content", err)
		}
	}
	if !isNull(w.Output) {
		if err := it.Output.UnmarshalJSON(w.Output); err != nil {
			return within("output", err)
		}
	}
	return nil
}

// MarshalJSON writes the fields of the item's type.
func (it Item) MarshalJSON() ([]byte, error) {
	switch it.Type {
	case "", ItemMessage:
		if it.Type == "" && it.Role == "" && it.Raw != nil {
			return it.Raw, nil // an item reference without a type
		}
		return json.Marshal(struct {
			Type    string  `json:"type,omitempty"`
			ID      string  `json:"id,omitempty"`
			Status  string  `json:"status,omitempty"`
			Role    string  `json:"role"`
			Content Content `json:"content"`
		}{it.Type, it.ID, it.Status, it.Role, it.Content})
	case ItemFunctionCall:
		return json.Marshal(struct {
			Type      string `json:"type"`
			ID        string `json:"id,omitempty"`
			CallID    string `json:"call_id"`
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
			Status    string `json:"status,omitempty"`
		}{it.Type, it.ID, it.CallID, it.Name, it.Arguments, it.Status})
	case ItemFunctionCallOutput:
		return json.Marshal(struct {
			Type   string  `json:"type"`
			ID     string  `json:"id,omitempty"`
			CallID string  `json:"call_id"`
			Output Content `json:"output"`
			Status string  `json:"status,omitempty"`
		}{it.Type, it.ID, it.CallID, it.Output, it.Status})
	}
	if it.Raw != nil {
		return it.Raw, nil
	}
	return json.Marshal(struct {
		Type   string `json:"type"`
		ID     string `json:"id,omitempty"`
		Status string `json:"status,omitempty"`
	}{it.Type, it.ID, it.Status})
}

// ---- Content ----

// MarshalJSON writes a string or the parts; missing content as [].
func (c Content) MarshalJSON() ([]byte, error) {
	if c.Text != nil {
		return json.Marshal(*c.Text)
	}
	if c.Parts == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(c.Parts)
}

// UnmarshalJSON reads a string, null, or a list of parts.
func (c *Content) UnmarshalJSON(b []byte) error {
	*c = Content{}
	switch kind(b) {
	case "null":
		return nil
	case "a string":
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		c.Text = &s
		return nil
	case "an array":
	default:
		return &DecodeError{Expected: "a string or an array of content parts", Got: kind(b)}
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return err
	}
	c.Parts = make([]ContentPart, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &c.Parts[i]); err != nil {
			return within(fmt.Sprintf("[%d]", i), err)
		}
	}
	return nil
}

// ---- ContentPart ----

type partWire struct {
	Type        string            `json:"type"`
	Text        string            `json:"text"`
	Annotations []json.RawMessage `json:"annotations"`
	Logprobs    []json.RawMessage `json:"logprobs"`
	Refusal     string            `json:"refusal"`
	ImageURL    *string           `json:"image_url"`
	FileID      *string           `json:"file_id"`
	Detail      string            `json:"detail"`
	FileData    string            `json:"file_data"`
	FileURL     string            `json:"file_url"`
	Filename    string            `json:"filename"`
}

// UnmarshalJSON reads any part, keeping its JSON in Raw.
func (p *ContentPart) UnmarshalJSON(b []byte) error {
	if k := kind(b); k != "an object" {
		return &DecodeError{Expected: "a content part (an object)", Got: k}
	}
	var w partWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*p = ContentPart{Type: w.Type, Text: w.Text, Annotations: w.Annotations, Logprobs: w.Logprobs, Refusal: w.Refusal,
		Detail: w.Detail, FileData: w.FileData, FileURL: w.FileURL, Filename: w.Filename, Raw: clone(b)}
	if w.ImageURL != nil {
		p.ImageURL = *w.ImageURL
	}
	if w.FileID != nil {
		p.FileID = *w.FileID
	}
	return nil
}

// MarshalJSON writes the fields of the part's type.
func (p ContentPart) MarshalJSON() ([]byte, error) {
	switch p.Type {
	case PartInputText:
		return json.Marshal(struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}{p.Type, p.Text})
	case PartOutputText:
		ann := p.Annotations
		if ann == nil {
			ann = []json.RawMessage{}
		}
		var lp *[]json.RawMessage
		if p.Logprobs != nil {
			lp = &p.Logprobs
		}
		return json.Marshal(struct {
			Type        string             `json:"type"`
			Text        string             `json:"text"`
			Annotations []json.RawMessage  `json:"annotations"`
			Logprobs    *[]json.RawMessage `json:"logprobs,omitempty"`
		}{p.Type, p.Text, ann, lp})
	case PartRefusal:
		return json.Marshal(struct {
			Type    string `json:"type"`
			Refusal string `json:"refusal"`
		}{p.Type, p.Refusal})
	case PartInputImage:
		return json.Marshal(struct {
			Type     string `json:"type"`
			Detail   string `json:"detail,omitempty"`
			FileID   string `json:"file_id,omitempty"`
			ImageURL string `json:"image_url,omitempty"`
		}{p.Type, p.Detail, p.FileID, p.ImageURL})
	case PartInputFile:
		return json.Marshal(struct {
			Type     string `json:"type"`
			FileData string `json:"file_data,omitempty"`
			FileID   string `json:"file_id,omitempty"`
			FileURL  string `json:"file_url,omitempty"`
			Filename string `json:"filename,omitempty"`
		}{p.Type, p.FileData, p.FileID, p.FileURL, p.Filename})
	}
	if p.Raw != nil {
		return p.Raw, nil
	}
	return json.Marshal(struct {
		Type string `json:"type"`
	}{p.Type})
}

// ---- Tool ----

type toolWire struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description *string         `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      *bool           `json:"strict"`
}

// UnmarshalJSON reads any tool, keeping its JSON in Raw.
func (t *Tool) UnmarshalJSON(b []byte) error {
	if k := kind(b); k != "an object" {
		return &DecodeError{Expected: "a tool (an object)", Got: k}
	}
	var w toolWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*t = Tool{Type: w.Type, Name: w.Name, Description: w.Description, Strict: w.Strict, Raw: clone(b)}
	if !isNull(w.Parameters) {
		t.Parameters = w.Parameters
	}
	return nil
}

// MarshalJSON writes a function tool's five fields (null when unset), or
// another tool's JSON as it came.
func (t Tool) MarshalJSON() ([]byte, error) {
	if t.Type != "function" && t.Raw != nil {
		return t.Raw, nil
	}
	params := t.Parameters
	if params == nil {
		params = json.RawMessage("null")
	}
	return json.Marshal(toolWire{t.Type, t.Name, t.Description, params, t.Strict})
}

// ---- ToolChoice ----

// MarshalJSON writes the string, {"type": "function", "name"}, or the
// object as it came; the zero value as "auto".
func (tc ToolChoice) MarshalJSON() ([]byte, error) {
	switch {
	case tc.Mode != "":
		return json.Marshal(tc.Mode)
	case tc.Type == "function":
		return json.Marshal(struct {
			Type string `json:"type"`
			Name string `json:"name"`
		}{tc.Type, tc.Name})
	case tc.Raw != nil:
		return tc.Raw, nil
	case tc.Type != "":
		return json.Marshal(struct {
			Type string `json:"type"`
		}{tc.Type})
	}
	return []byte(`"auto"`), nil
}

// UnmarshalJSON reads a string or an object.
func (tc *ToolChoice) UnmarshalJSON(b []byte) error {
	*tc = ToolChoice{}
	switch kind(b) {
	case "a string":
		return json.Unmarshal(b, &tc.Mode)
	case "an object":
		var w struct {
			Type string `json:"type"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal(b, &w); err != nil {
			return within("tool_choice", err)
		}
		tc.Type, tc.Name, tc.Raw = w.Type, w.Name, clone(b)
		return nil
	}
	return &DecodeError{Field: "tool_choice", Expected: "a string or an object", Got: kind(b)}
}

// ---- Response ----

// MarshalJSON writes the response with empty lists and objects for nil
// Output, Tools and Metadata.
func (r Response) MarshalJSON() ([]byte, error) {
	type plain Response
	p := plain(r)
	if p.Output == nil {
		p.Output = []Item{}
	}
	if p.Tools == nil {
		p.Tools = []Tool{}
	}
	if p.Metadata == nil {
		p.Metadata = map[string]any{}
	}
	return json.Marshal(p)
}

// ---- Event ----

// MarshalJSON writes the fields of the event's type (see Event).
func (ev Event) MarshalJSON() ([]byte, error) {
	type wire struct {
		Type           string             `json:"type"`
		SequenceNumber int                `json:"sequence_number"`
		Response       *Response          `json:"response,omitempty"`
		ItemID         *string            `json:"item_id,omitempty"`
		OutputIndex    *int               `json:"output_index,omitempty"`
		ContentIndex   *int               `json:"content_index,omitempty"`
		Item           *Item              `json:"item,omitempty"`
		Part           *ContentPart       `json:"part,omitempty"`
		Delta          *string            `json:"delta,omitempty"`
		Text           *string            `json:"text,omitempty"`
		Refusal        *string            `json:"refusal,omitempty"`
		Name           *string            `json:"name,omitempty"`
		Arguments      *string            `json:"arguments,omitempty"`
		Logprobs       *[]json.RawMessage `json:"logprobs,omitempty"`
		Obfuscation    string             `json:"obfuscation,omitempty"`
		Code           *json.RawMessage   `json:"code,omitempty"`
		Message        *string            `json:"message,omitempty"`
		Param          *json.RawMessage   `json:"param,omitempty"`
	}
	w := wire{Type: ev.Type, SequenceNumber: ev.SequenceNumber}
	logprobs := func() *[]json.RawMessage {
		l := ev.Logprobs
		if l == nil {
			l = []json.RawMessage{}
		}
		return &l
	}
	switch ev.Type {
	case EventCreated, EventInProgress, EventCompleted, EventIncomplete, EventFailed:
		w.Response = ev.Response
	case EventOutputItemAdded, EventOutputItemDone:
		w.OutputIndex, w.Item = &ev.OutputIndex, ev.Item
	case EventContentPartAdded, EventContentPartDone:
		w.ItemID, w.OutputIndex, w.ContentIndex, w.Part = &ev.ItemID, &ev.OutputIndex, &ev.ContentIndex, ev.Part
	case EventOutputTextDelta:
		w.ItemID, w.OutputIndex, w.ContentIndex, w.Delta, w.Logprobs, w.Obfuscation = &ev.ItemID, &ev.OutputIndex, &ev.ContentIndex, &ev.Delta, logprobs(), ev.Obfuscation
	case EventOutputTextDone:
		w.ItemID, w.OutputIndex, w.ContentIndex, w.Text, w.Logprobs = &ev.ItemID, &ev.OutputIndex, &ev.ContentIndex, &ev.Text, logprobs()
	case EventRefusalDelta:
		w.ItemID, w.OutputIndex, w.ContentIndex, w.Delta = &ev.ItemID, &ev.OutputIndex, &ev.ContentIndex, &ev.Delta
	case EventRefusalDone:
		w.ItemID, w.OutputIndex, w.ContentIndex, w.Refusal = &ev.ItemID, &ev.OutputIndex, &ev.ContentIndex, &ev.Refusal
	case EventFunctionCallArgumentsDelta:
		w.ItemID, w.OutputIndex, w.Delta, w.Obfuscation = &ev.ItemID, &ev.OutputIndex, &ev.Delta, ev.Obfuscation
	case EventFunctionCallArgumentsDone:
		w.ItemID, w.OutputIndex, w.Name, w.Arguments = &ev.ItemID, &ev.OutputIndex, &ev.Name, &ev.Arguments
	case EventError:
		code, param := nullable(ev.Code), nullable(ev.Param)
		w.Code, w.Message, w.Param = &code, &ev.Message, &param
	default:
		// an event this package does not model: every field that is set
		w.Response, w.Item, w.Part = ev.Response, ev.Item, ev.Part
		if ev.ItemID != "" {
			w.ItemID = &ev.ItemID
		}
		w.OutputIndex, w.ContentIndex = &ev.OutputIndex, &ev.ContentIndex
		for _, f := range []struct {
			dst **string
			v   *string
		}{{&w.Delta, &ev.Delta}, {&w.Text, &ev.Text}, {&w.Refusal, &ev.Refusal}, {&w.Name, &ev.Name}, {&w.Arguments, &ev.Arguments}} {
			if *f.v != "" {
				*f.dst = f.v
			}
		}
	}
	return json.Marshal(w)
}

func nullable(s *string) json.RawMessage {
	if s == nil {
		return json.RawMessage("null")
	}
	b, _ := json.Marshal(*s)
	return b
}

// AppendEvent appends ev as a server-sent event — "event: TYPE", then
// "data: JSON", then a blank line — as the API streams it. The stream
// ends when the connection closes after the last event: the Responses API
// sends no "[DONE]".
func AppendEvent(dst []byte, ev Event) ([]byte, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return dst, err
	}
	dst = append(dst, "event: "...)
	dst = append(dst, ev.Type...)
	dst = append(dst, "\ndata: "...)
	dst = append(dst, data...)
	return append(dst, '\n', '\n'), nil
}
