package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/reask/reask/gateway"
)

// TestDuplicateMembersAreRefused: a member the gateway reads, sent twice or
// also under another case, is refused before any upstream call, so that
// the model checked against the routes is the model the upstream reads
// (issue 12, item 7).
func TestDuplicateMembersAreRefused(t *testing.T) {
	up, rec := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		c.Upstreams[0].Models = []string{model} // no catch-all: "expensive" is not served
	})
	msgs := `"messages":[{"role":"user","content":"hi"}]`
	for _, tc := range []struct {
		name, body, param string
	}{
		{"model twice", `{"model":"expensive","model":"` + model + `",` + msgs + `}`, "model"},
		{"model twice, allowed first", `{"model":"` + model + `",` + msgs + `,"model":"expensive"}`, "model"},
		{"model escaped", `{"model":"` + model + `","mod\u0065l":"expensive",` + msgs + `}`, "model"},
		{"model in another case", `{"model":"` + model + `","MODEL":"expensive",` + msgs + `}`, "model"},
		{"model only in another case", `{"Model":"expensive",` + msgs + `}`, "model"},
		{"stream twice", `{"model":"` + model + `","stream":false,"stream":true,` + msgs + `}`, "stream"},
		{"messages twice", `{"model":"` + model + `",` + msgs + `,` + msgs + `}`, "messages"},
		{"response_format twice", schemaRequest(`,"response_format":{"type":"text"}`), "response_format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(rec.requests())
			status, _, b := call(t, gw, tc.body)
			e := decode[errorBody](t, b)
			if status != http.StatusBadRequest || code(e) != "duplicate_parameter" || e.Error.Param == nil || *e.Error.Param != tc.param {
				t.Fatalf("status %d, want 400 duplicate_parameter naming %q: %s", status, tc.param, b)
			}
			if !strings.Contains(e.Error.Message, `"`+tc.param+`"`) {
				t.Errorf("the message does not name %q: %s", tc.param, e.Error.Message)
			}
			if n := len(rec.requests()) - before; n != 0 {
				t.Errorf("%d upstream calls, want none", n)
			}
		})
	}
	// Members the gateway does not read are the upstream's business.
	status, _, b := call(t, gw, `{"model":"`+model+`",`+msgs+`,"temperature":0,"temperature":1}`)
	if status != http.StatusOK {
		t.Errorf("a duplicate member the gateway does not read: status %d: %s", status, b)
	}
}
