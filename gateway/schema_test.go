package gateway_test

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reask/reask/gateway"
	"github.com/reask/reask/schema"
)

// requestWithSchema is a json_schema request for doc.
func requestWithSchema(doc string) string {
	return `{"model":"` + model + `","messages":` + personMessages +
		`,"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":` + doc + `}}}`
}

func nestedItemsSchema(n int) string {
	return strings.Repeat(`{"type":"array","items":`, n) + `{"type":"string"}` + strings.Repeat("}", n)
}

func nestedPropertiesSchema(n int) string {
	return strings.Repeat(`{"type":"object","properties":{"a":`, n) + `{"type":"string"}` + strings.Repeat("}}", n)
}

func flatPropertiesSchema(n int) string {
	var b strings.Builder
	b.WriteString(`{"type":"object","properties":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"p%d":{"type":"string"}`, i)
	}
	b.WriteString(`}}`)
	return b.String()
}

// Issue 12, items 2 and 6: the reported schemas get 400 invalid_json_schema
// naming the limit (or the cycle) before any upstream call, instead of
// minutes of compilation or three paid calls and a 422.
func TestClientSchemasBeyondLimits(t *testing.T) {
	up, rec := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, nil)
	lowered, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		c.Schema = schema.Config{Limits: schema.Limits{MaxSubschemas: 3}}
	})
	for _, tc := range []struct {
		name string
		gw   *httptest.Server
		body string
		want string // in the message
	}{
		{"50 KB of nested items", gw, requestWithSchema(nestedItemsSchema(2000)), "(limit max_depth = 32)"},
		{"1,000 nested properties", gw, requestWithSchema(nestedPropertiesSchema(1000)), "(limit max_depth = 32)"},
		{"20k properties", gw, requestWithSchema(flatPropertiesSchema(20_000)), "(limit max_subschemas = 5000)"},
		{"a $ref cycle", gw, requestWithSchema(`{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}`), "reference cycle: /$defs/a → /$defs/b → /$defs/a"},
		{"a limit from the configuration", lowered, schemaRequest(""), "(limit max_subschemas = 3)"},
		{"a tool's parameters", lowered, toolRequest(""), "(limit max_subschemas = 3)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, b := call(t, tc.gw, tc.body)
			e := decode[errorBody](t, b)
			if status != 400 || code(e) != "invalid_json_schema" || e.Error.Type != "invalid_request_error" {
				t.Errorf("status %d: %s", status, b)
			}
			if !strings.Contains(e.Error.Message, tc.want) {
				t.Errorf("message %q does not say %q", e.Error.Message, tc.want)
			}
		})
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("%d upstream calls for refused schemas", n)
	}
}

// The gateway's configuration file sets the schema limits, the format level
// and the cache's bytes.
func TestConfigFileSchemaFields(t *testing.T) {
	base := `"upstreams":[{"name":"u","base_url":"http://127.0.0.1:1/v1"}]`
	c, err := gateway.ParseConfig([]byte(`{`+base+`,"schema_cache_bytes":1048576,"schema":{"max_bytes":2048,"max_depth":8,"max_subschemas":-1,"formats":"strict"}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := schema.Config{Limits: schema.Limits{MaxBytes: 2048, MaxDepth: 8, MaxSubschemas: -1}, Formats: schema.FormatStrict}
	if c.Schema != want || c.SchemaCacheBytes != 1<<20 {
		t.Errorf("schema %+v, cache bytes %d", c.Schema, c.SchemaCacheBytes)
	}
	for _, bad := range []string{
		`"schema":{"formats":"loose"}`,
		`"schema":{"max_dept":3}`,
		`"schema_cache_bytes":-1`,
	} {
		if _, err := gateway.ParseConfig([]byte(`{`+base+`,`+bad+`}`), nil); !errors.Is(err, gateway.ErrConfig) && !errors.Is(err, schema.ErrFormatLevel) {
			t.Errorf("%s: %v", bad, err)
		} else if err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
