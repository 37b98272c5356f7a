package gateway

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/reask/reask/internal/httpapi"
)

// models serves GET /v1/models: the models the gateway routes. Models the
// configuration lists are described from it; an upstream that takes every
// model is asked for its list, passed through as is when it is the only
// upstream. No retries or breaker apply: listing models is cheap and
// idempotent, and a client retries it itself.
func (g *Gateway) models(w http.ResponseWriter, r *http.Request) {
	type entry = json.RawMessage
	var data []entry
	seen := map[string]bool{}
	add := func(id string, e entry) {
		if !seen[id] {
			seen[id] = true
			data = append(data, e)
		}
	}
	for _, u := range g.upstreams {
		if len(u.models) > 0 {
			for _, m := range u.models {
				b, _ := json.Marshal(map[string]any{"id": m, "object": "model", "created": 0, "owned_by": u.name})
				add(m, b)
			}
			continue
		}
		if u.gemini != nil {
			continue // Gemini's model list is not OpenAI's: list its models in the configuration
		}
		status, header, body, err := u.get(r.Context())
		if err != nil {
			st, e, _ := errorAnswer(err, g.cfg.Clock.Now())
			writeError(w, st, e)
			return
		}
		if len(g.upstreams) == 1 && len(g.cfg.Presets) == 0 || status/100 != 2 {
			h := w.Header()
			copyHeaders(h, header)
			if h.Get("Content-Type") == "" {
				h.Set("Content-Type", "application/json")
			}
			if status/100 != 2 {
				pe := u.parseError(u.name, status, header, body, g.cfg.Clock.Now(), u.key)
				st, e, _ := errorAnswer(pe, g.cfg.Clock.Now())
				writeError(w, st, e)
				return
			}
			w.WriteHeader(status)
			_, _ = w.Write(body)
			return
		}
		var list struct {
			Data []json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			writeError(w, http.StatusBadGateway, apiError{Type: "server_error", Code: ptr("bad_upstream_answer"),
				Message: "The upstream " + u.name + " answered GET /models with an unreadable list."})
			return
		}
		for _, e := range list.Data {
			var id struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(e, &id) == nil && id.ID != "" {
				add(id.ID, e)
			}
		}
	}
	for _, p := range g.cfg.Presets {
		b, _ := json.Marshal(map[string]any{"id": p.Name, "object": "model", "created": 0, "owned_by": "reask-preset"})
		add(p.Name, b)
	}
	if data == nil {
		data = []entry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

// get fetches the upstream's model list.
func (u *upstream) get(ctx context.Context) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, u.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.modelsURL, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	u.setHeaders(req.Header)
	req.Header.Set("Accept", "application/json")
	resp, err := u.client.Do(req)
	if err != nil {
		return 0, nil, nil, u.scrub.Error(err)
	}
	defer resp.Body.Close()
	u.scrub.Header(resp.Header)
	body, err := httpapi.ReadBody(resp.Body, u.maxBytes)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, u.scrub.Bytes(body), nil
}
