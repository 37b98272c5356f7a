package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/reask/reask/internal/responsesapi"
)

// OpenAI's Responses API: POST /v1/responses. Like the Messages API it
// turns its request into a conversation and writes the reply in its own
// shape; the transport faults, the rate limiter, the model and its
// content faults are shared with the other endpoints. The server is
// stateless: it stores no response, so previous_response_id,
// conversations, item references and background mode are refused with a
// 400 that says so.

// MinOutputTokens is the least max_output_tokens the Responses API
// accepts.
const MinOutputTokens = 16

// responsesParams is a validated Responses request: the conversation, how
// to answer it, and the settings the response object echoes.
type responsesParams struct {
	conv   *conversation
	stream bool
	echo   responsesapi.Response
}

// notStored is the 400 for anything that needs a stored response.
func notStored(msg, param, code string) *apiError {
	return badRequest(msg+" This server is stateless and stores no responses: send the whole conversation in 'input'.", param, code)
}

// responsesConversation validates a Responses request as OpenAI does and
// turns it into a conversation.
func (s *Server) responsesConversation(req *responsesapi.Request) (responsesParams, *apiError) {
	if req.Model == nil || *req.Model == "" {
		return responsesParams{}, badRequest("Missing required parameter: 'model'.", "model", "missing_required_parameter")
	}
	if id := req.PreviousResponseID; id != nil && *id != "" {
		return responsesParams{}, notStored(fmt.Sprintf("Previous response with id '%s' not found: 'previous_response_id' is not supported by this server.", *id), "previous_response_id", "previous_response_not_found")
	}
	if !isNullJSON(req.Conversation) {
		return responsesParams{}, notStored("'conversation' is not supported by this server.", "conversation", "")
	}
	if req.Background != nil && *req.Background {
		return responsesParams{}, notStored("Background mode ('background': true) is not supported by this server.", "background", "")
	}
	if !isNullJSON(req.Prompt) {
		return responsesParams{}, badRequest("Prompt templates ('prompt') are not supported by this server: send the prompt in 'instructions' and 'input'.", "prompt", "")
	}
	if req.Input == nil {
		return responsesParams{}, badRequest("Missing required parameter: 'input'.", "input", "missing_required_parameter")
	}
	c := &conversation{model: *req.Model, temp: 1}
	echo := responsesapi.Response{Object: "response", Model: c.model, ParallelToolCalls: true, ServiceTier: "default",
		Temperature: 1, TopP: 1, Truncation: "disabled", User: req.User, MaxOutputTokens: req.MaxOutputTokens, MaxToolCalls: req.MaxToolCalls,
		Text: responsesapi.TextConfig{Format: &responsesapi.TextFormat{Type: responsesapi.FormatText}, Verbosity: ptr("medium")}}
	if t := req.Temperature; t != nil {
		if *t < 0 {
			return responsesParams{}, badRequest(fmt.Sprintf("Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got %v instead.", *t), "temperature", "decimal_below_min_value")
		}
		if *t > 2 {
			return responsesParams{}, badRequest(fmt.Sprintf("Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got %v instead.", *t), "temperature", "decimal_above_max_value")
		}
		c.temp, echo.Temperature = *t, *t
	}
	if p := req.TopP; p != nil {
		if *p < 0 || *p > 1 {
			return responsesParams{}, badRequest(fmt.Sprintf("Invalid 'top_p': expected a value between 0 and 1, but got %v instead.", *p), "top_p", "invalid_value")
		}
		echo.TopP = *p
	}
	if mt := req.MaxOutputTokens; mt != nil {
		if *mt < MinOutputTokens {
			return responsesParams{}, badRequest(fmt.Sprintf("Invalid 'max_output_tokens': integer below minimum value. Expected a value >= %d, but got %d instead.", MinOutputTokens, *mt), "max_output_tokens", "integer_below_min_value")
		}
		c.maxTokens = *mt
	}
	if req.ParallelToolCalls != nil {
		echo.ParallelToolCalls = *req.ParallelToolCalls
	}
	if req.Truncation != nil {
		echo.Truncation = *req.Truncation
	}
	if req.TopLogprobs != nil {
		echo.TopLogprobs = *req.TopLogprobs
	}
	if req.Metadata != nil {
		echo.Metadata = req.Metadata
	}
	if req.Instructions != nil {
		c.msgs = append(c.msgs, message{role: "system", text: *req.Instructions})
		echo.Instructions, _ = json.Marshal(*req.Instructions)
	}
	if aerr := inputMessages(c, req.Input); aerr != nil {
		return responsesParams{}, aerr
	}
	if aerr := s.responsesFormat(c, req.Text, &echo); aerr != nil {
		return responsesParams{}, aerr
	}
	if aerr := s.responsesTools(c, req, &echo); aerr != nil {
		return responsesParams{}, aerr
	}
	return responsesParams{conv: c, stream: req.Stream != nil && *req.Stream, echo: echo}, nil
}

func isNullJSON(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// inputMessages appends the input — a string or items — to the
// conversation: messages as they are, a function_call as the assistant's
// tool call, a function_call_output as the tool's answer.
func inputMessages(c *conversation, in *responsesapi.Input) *apiError {
	if in.Text != nil {
		c.msgs = append(c.msgs, message{role: "user", text: *in.Text})
		return nil
	}
	if len(in.Items) == 0 {
		return badRequest("Invalid 'input': empty array. Expected an array with minimum length 1, but got an empty array instead.", "input", "empty_array")
	}
	called := map[string]bool{} // call ids of function_call items
	var pending []string        // call ids still without an output
	afterAssistant := false     // the previous item was the assistant's
	for i, it := range in.Items {
		param := fmt.Sprintf("input[%d]", i)
		typ := it.Type
		if typ == "" && it.Role == "" && it.ID != "" {
			typ = responsesapi.ItemReference
		}
		switch typ {
		case "", responsesapi.ItemMessage:
			role := it.Role
			switch role {
			case "user", "system", "developer", "assistant":
			case "":
				return badRequest(fmt.Sprintf("Missing required parameter: '%s.role'.", param), param+".role", "missing_required_parameter")
			default:
				return badRequest(fmt.Sprintf("Invalid value: '%s'. Supported values are: 'assistant', 'system', 'developer', and 'user'.", role), param+".role", "invalid_value")
			}
			if it.Content.Missing() {
				return badRequest(fmt.Sprintf("Missing required parameter: '%s.content'.", param), param+".content", "missing_required_parameter")
			}
			text, aerr := itemText(it.Content, role == "assistant", param+".content")
			if aerr != nil {
				return aerr
			}
			if role == "developer" {
				role = "system"
			}
			c.msgs = append(c.msgs, message{role: role, text: text})
			afterAssistant = role == "assistant"
		case responsesapi.ItemFunctionCall:
			if it.CallID == "" {
				return badRequest(fmt.Sprintf("Missing required parameter: '%s.call_id'.", param), param+".call_id", "missing_required_parameter")
			}
			if it.Name == "" {
				return badRequest(fmt.Sprintf("Missing required parameter: '%s.name'.", param), param+".name", "missing_required_parameter")
			}
			tc := toolCall{id: it.CallID, name: it.Name, args: it.Arguments}
			if n := len(c.msgs); afterAssistant && n > 0 {
				c.msgs[n-1].toolCalls = append(c.msgs[n-1].toolCalls, tc)
			} else {
				c.msgs = append(c.msgs, message{role: "assistant", toolCalls: []toolCall{tc}})
			}
			called[it.CallID] = true
			pending = append(pending, it.CallID)
			afterAssistant = true
		case responsesapi.ItemFunctionCallOutput:
			if it.CallID == "" {
				return badRequest(fmt.Sprintf("Missing required parameter: '%s.call_id'.", param), param+".call_id", "missing_required_parameter")
			}
			if !called[it.CallID] {
				return badRequest(fmt.Sprintf("No tool call found for function call output with call_id %s.", it.CallID), "input", "")
			}
			if it.Output.Missing() {
				return badRequest(fmt.Sprintf("Missing required parameter: '%s.output'.", param), param+".output", "missing_required_parameter")
			}
			text, aerr := itemText(it.Output, false, param+".output")
			if aerr != nil {
				return aerr
			}
			c.msgs = append(c.msgs, message{role: "tool", text: text, toolID: it.CallID})
			if j := slices.Index(pending, it.CallID); j >= 0 {
				pending = append(pending[:j], pending[j+1:]...)
			}
			afterAssistant = false
		case responsesapi.ItemReasoning:
			// the model's reasoning from an earlier turn: a model without
			// reasoning reads nothing in it
		case responsesapi.ItemReference:
			return notStored(fmt.Sprintf("Item with id '%s' not found: item references are not supported by this server.", it.ID), param, "")
		default:
			return badRequest(fmt.Sprintf("Input items of type '%s' are not supported by this server, which serves 'message', 'function_call' and 'function_call_output' items.", it.Type), param+".type", "invalid_value")
		}
	}
	if len(pending) > 0 {
		return badRequest(fmt.Sprintf("No tool output found for function call %s.", pending[0]), "input", "")
	}
	return nil
}

// itemText reads content: a string, or parts whose text is joined. An
// assistant's parts are output_text and refusal; anyone else's are
// input_text, input_image and input_file (images and files carry no text
// the simulated model reads).
func itemText(content responsesapi.Content, assistant bool, param string) (string, *apiError) {
	if content.Text != nil {
		return *content.Text, nil
	}
	var texts []string
	for j, p := range content.Parts {
		where := fmt.Sprintf("%s[%d]", param, j)
		switch {
		case assistant && p.Type == responsesapi.PartOutputText:
			texts = append(texts, p.Text)
		case assistant && p.Type == responsesapi.PartRefusal:
		case assistant:
			return "", badRequest(fmt.Sprintf("Invalid value: '%s'. Supported values are: 'output_text' and 'refusal'.", p.Type), where+".type", "invalid_value")
		case p.Type == responsesapi.PartInputText:
			texts = append(texts, p.Text)
		case p.Type == responsesapi.PartInputImage, p.Type == responsesapi.PartInputFile:
		default:
			return "", badRequest(fmt.Sprintf("Invalid value: '%s'. Supported values are: 'input_text', 'input_image', and 'input_file'.", p.Type), where+".type", "invalid_value")
		}
	}
	return strings.Join(texts, "\n"), nil
}

// responsesFormat applies text.format.
func (s *Server) responsesFormat(c *conversation, text *responsesapi.TextConfig, echo *responsesapi.Response) *apiError {
	if text == nil {
		return nil
	}
	if text.Verbosity != nil {
		echo.Text.Verbosity = text.Verbosity
	}
	f := text.Format
	if f == nil {
		return nil
	}
	switch f.Type {
	case responsesapi.FormatText:
	case responsesapi.FormatJSONObject:
		if !mentionsJSON(c.msgs) {
			return badRequest("Response input messages must contain the word 'json' in some form to use 'text.format' of type 'json_object'.", "input", "")
		}
	case responsesapi.FormatJSONSchema:
		if f.Name == "" {
			return badRequest("Missing required parameter: 'text.format.name'.", "text.format.name", "missing_required_parameter")
		}
		if isNullJSON(f.Schema) {
			return badRequest("Missing required parameter: 'text.format.schema'.", "text.format.schema", "missing_required_parameter")
		}
		c.schemaName = f.Name
		c.strict = f.Strict != nil && *f.Strict
		if aerr := s.checkSchema(f.Schema, c.strict, fmt.Sprintf("response_format '%s'", f.Name), "text.format.schema"); aerr != nil {
			return aerr
		}
		c.schemaRaw = string(f.Schema)
	case "":
		return badRequest("Missing required parameter: 'text.format.type'.", "text.format.type", "missing_required_parameter")
	default:
		return badRequest(fmt.Sprintf("Invalid value: '%s'. Supported values are: 'text', 'json_object', and 'json_schema'.", f.Type), "text.format.type", "invalid_value")
	}
	c.format = f.Type
	ef := *f
	if f.Type == responsesapi.FormatJSONSchema {
		ef.Strict = ptr(c.strict)
	}
	echo.Text.Format = &ef
	return nil
}

// responsesTools applies tools and tool_choice. A function tool without
// "strict" is strict when its schema can be, as the Responses API makes
// it; with tools and a tool_choice other than "none", the model calls the
// named tool or the first.
func (s *Server) responsesTools(c *conversation, req *responsesapi.Request, echo *responsesapi.Response) *apiError {
	mode, named := "auto", ""
	if tc := req.ToolChoice; tc != nil {
		switch {
		case tc.Mode != "":
			if tc.Mode != "none" && tc.Mode != "auto" && tc.Mode != "required" {
				return badRequest(fmt.Sprintf("Invalid value: '%s'. Supported values are: 'none', 'auto', and 'required'.", tc.Mode), "tool_choice", "invalid_value")
			}
			mode = tc.Mode
		case tc.Type == "function":
			if tc.Name == "" {
				return badRequest("Missing required parameter: 'tool_choice.name'.", "tool_choice.name", "missing_required_parameter")
			}
			mode, named = "function", tc.Name
		default:
			return badRequest(fmt.Sprintf("Tool choice of type '%s' is not supported by this server, which serves 'none', 'auto', 'required' and {\"type\": \"function\", \"name\": ...}.", tc.Type), "tool_choice.type", "invalid_value")
		}
		if len(req.Tools) == 0 && mode != "none" && mode != "auto" {
			return badRequest(fmt.Sprintf("Tool choice '%s' must be specified with 'tools' parameter.", mode), "tool_choice", "")
		}
		echo.ToolChoice = *tc
	}
	pick := -1
	echo.Tools = make([]responsesapi.Tool, 0, len(req.Tools))
	for i, t := range req.Tools {
		if t.Type != "function" {
			return badRequest(fmt.Sprintf("Tools of type '%s' are not supported by this server, which serves function tools.", t.Type), fmt.Sprintf("tools[%d].type", i), "invalid_value")
		}
		if t.Name == "" {
			return badRequest(fmt.Sprintf("Missing required parameter: 'tools[%d].name'.", i), fmt.Sprintf("tools[%d].name", i), "missing_required_parameter")
		}
		params := t.Parameters
		if len(params) == 0 {
			params = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		strict := t.Strict != nil && *t.Strict
		if t.Strict == nil {
			if _, err := s.cache.schema(string(params)); err == nil && openAIStrictProblem(params) == "" {
				strict = true
			}
		}
		if pick < 0 && mode != "none" && (named == "" || t.Name == named) {
			pick = i
			if aerr := s.checkSchema(params, strict, fmt.Sprintf("function '%s'", t.Name), fmt.Sprintf("tools[%d].parameters", i)); aerr != nil {
				return aerr
			}
			c.tool, c.strict, c.schemaRaw = t.Name, strict, string(params)
		} else {
			c.toolsRaw += len(params)
		}
		c.toolsRaw += len(t.Name)
		if t.Description != nil {
			c.toolsRaw += len(*t.Description)
		}
		et := t
		et.Strict, et.Raw = ptr(strict), nil
		echo.Tools = append(echo.Tools, et)
	}
	if named != "" && pick < 0 {
		return badRequest(fmt.Sprintf("Invalid value for 'tool_choice': function '%s' not found in 'tools'.", named), "tool_choice", "")
	}
	return nil
}

// responsesDecodeError words a body's decoding error as the Responses API
// does.
func responsesDecodeError(err error) *apiError {
	var de *responsesapi.DecodeError
	if errors.As(err, &de) {
		field := de.Field
		return badRequest(fmt.Sprintf("Invalid type for '%s': expected %s, but got %s instead.", field, de.Expected, de.Got), field, "invalid_type")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return badRequest(fmt.Sprintf("Unknown parameter: '%s'.", name), name, "unknown_parameter")
	}
	return decodeError(err)
}

// ---- the handlers ----

// storedResponse answers GET and DELETE /v1/responses/{id}: nothing is
// stored, so no response is found.
func (s *Server) storedResponse(w http.ResponseWriter, r *http.Request, id string) {
	if !s.openAIAuthorized(w, r) {
		return
	}
	aerr := notStored(fmt.Sprintf("Response with id '%s' not found.", id), "", "")
	s.openAIError(w, http.StatusNotFound, *aerr)
}

// parseResponses decodes and validates a Responses request body as POST
// /v1/responses does; a refused request gets the status and the error the
// endpoint answers with.
func (s *Server) parseResponses(body []byte) (responsesParams, int, *apiError) {
	var req responsesapi.Request
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return responsesParams{}, http.StatusBadRequest, responsesDecodeError(err)
	}
	params, aerr := s.responsesConversation(&req)
	if aerr != nil {
		return responsesParams{}, http.StatusBadRequest, aerr
	}
	if m := params.conv.model; !s.hasModel(m) {
		return responsesParams{}, http.StatusBadRequest, &apiError{Message: fmt.Sprintf("The requested model '%s' does not exist. Available models: %s.", m, s.availableModels()),
			Type: "invalid_request_error", Param: ptr("model"), Code: ptr("model_not_found")}
	}
	return params, 0, nil
}

func (s *Server) responses(w http.ResponseWriter, r *http.Request) {
	n, body, ok := s.openAIRequest(w, r)
	if !ok {
		return
	}
	params, code, aerr := s.parseResponses(body)
	if aerr != nil {
		s.openAIError(w, code, *aerr)
		return
	}
	c := params.conv
	prompt := c.promptTokens()
	tr, admitted := s.gate(w, r, apiOpenAI, n, c.model, prompt, prompt+c.maxTokens)
	if !admitted {
		return
	}
	var counter uint64
	if c.temp > 0 {
		counter = s.sampleSeq.Add(1)
	}
	rep := s.respond(c, 0, counter)
	now, _ := s.settle(prompt, rep)
	resp := s.responseObject(params.echo, n, now, prompt, rep)
	if params.stream {
		s.streamResponse(w, r, resp, tr)
		return
	}
	if d := time.Duration(s.latency.PerToken) * time.Duration(rep.tokens); d > 0 {
		if err := s.clk.Sleep(r.Context(), d); err != nil {
			return
		}
	}
	s.countStatus(http.StatusOK)
	s.log.Debug("sim responses", "request", n, "model", c.model, "faults", len(rep.faults), "status", resp.Status)
	writeJSON(w, http.StatusOK, resp)
}

// responseObject writes the reply as a response object: one message with
// one output_text part, or one function_call; a truncated answer is
// "incomplete" for max_output_tokens.
func (s *Server) responseObject(resp responsesapi.Response, n uint64, now time.Time, prompt int, rep reply) responsesapi.Response {
	resp.ID = requestID(s.cfg.Seed, n, "resp_")
	resp.CreatedAt = now.Unix()
	status := responsesapi.StatusCompleted
	if rep.truncated {
		status = responsesapi.StatusIncomplete
		resp.IncompleteDetails = &responsesapi.IncompleteDetails{Reason: "max_output_tokens"}
	} else {
		resp.CompletedAt = ptr(resp.CreatedAt)
	}
	resp.Status = status
	if rep.tool != "" {
		resp.Output = []responsesapi.Item{{Type: responsesapi.ItemFunctionCall, ID: requestID(s.cfg.Seed, n, "fc_"),
			CallID: rep.toolID, Name: rep.tool, Arguments: rep.text, Status: status}}
	} else {
		resp.Output = []responsesapi.Item{{Type: responsesapi.ItemMessage, ID: requestID(s.cfg.Seed, n, "msg_"), Status: status, Role: "assistant",
			Content: responsesapi.Content{Parts: []responsesapi.ContentPart{{Type: responsesapi.PartOutputText, Text: rep.text}}}}}
	}
	resp.Usage = &responsesapi.Usage{InputTokens: prompt, OutputTokens: rep.tokens, TotalTokens: prompt + rep.tokens}
	return resp
}

// streamResponse streams a response as the Responses API's server-sent
// events: created, in_progress, the output item with its deltas, then
// completed or incomplete carrying the whole response. There is no
// "[DONE]": the stream ends with the connection's body.
func (s *Server) streamResponse(w http.ResponseWriter, r *http.Request, resp responsesapi.Response, tr *rand.Rand) {
	s.count(func(st *Stats) { st.Streams++ })
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	s.countStatus(http.StatusOK)
	fl, _ := w.(http.Flusher)
	seq := 0
	var buf []byte
	emit := func(ev responsesapi.Event) {
		ev.SequenceNumber = seq
		seq++
		buf, _ = responsesapi.AppendEvent(buf[:0], ev)
		_, _ = w.Write(buf)
		if fl != nil {
			fl.Flush()
		}
	}
	start := resp
	start.Status, start.Output, start.Usage, start.CompletedAt, start.IncompleteDetails = responsesapi.StatusInProgress, []responsesapi.Item{}, nil, nil, nil
	emit(responsesapi.Event{Type: responsesapi.EventCreated, Response: &start})
	emit(responsesapi.Event{Type: responsesapi.EventInProgress, Response: &start})
	item := resp.Output[0]
	added := item
	added.Status = responsesapi.StatusInProgress
	text := item.Arguments
	call := item.Type == responsesapi.ItemFunctionCall
	if call {
		added.Arguments = ""
	} else {
		text = item.Content.Parts[0].Text
		added.Content = responsesapi.Content{Parts: []responsesapi.ContentPart{}}
	}
	emit(responsesapi.Event{Type: responsesapi.EventOutputItemAdded, Item: &added})
	if !call {
		emit(responsesapi.Event{Type: responsesapi.EventContentPartAdded, ItemID: item.ID, Part: &responsesapi.ContentPart{Type: responsesapi.PartOutputText}})
	}
	delta := responsesapi.EventOutputTextDelta
	if call {
		delta = responsesapi.EventFunctionCallArgumentsDelta
	}
	if !s.streamText(w, r, tr, text, func(p string) { emit(responsesapi.Event{Type: delta, ItemID: item.ID, Delta: p}) }) {
		return
	}
	if call {
		emit(responsesapi.Event{Type: responsesapi.EventFunctionCallArgumentsDone, ItemID: item.ID, Name: item.Name, Arguments: text})
	} else {
		emit(responsesapi.Event{Type: responsesapi.EventOutputTextDone, ItemID: item.ID, Text: text})
		emit(responsesapi.Event{Type: responsesapi.EventContentPartDone, ItemID: item.ID, Part: &item.Content.Parts[0]})
	}
	emit(responsesapi.Event{Type: responsesapi.EventOutputItemDone, Item: &item})
	end := responsesapi.EventCompleted
	if resp.Status == responsesapi.StatusIncomplete {
		end = responsesapi.EventIncomplete
	}
	emit(responsesapi.Event{Type: end, Response: &resp})
}
