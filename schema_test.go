package reask_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/schema"
)

type withFunc struct {
	Name string       `json:"name"`
	Hook func() error `json:"hook"`
}

type withComplex struct {
	Z complex128 `json:"z"`
}

type withBoolKeys struct {
	Flags map[bool]string `json:"flags"`
}

type withDeepChan struct {
	Rows []struct {
		Cells []chan int `json:"cells"`
	} `json:"rows"`
}

// extractAs runs Extract[T] and returns its report and error.
func extractAs[T any](ctx context.Context, c *reask.Client) (*reask.Report, error) {
	_, rep, err := reask.Extract[T](ctx, c, johnText)
	return rep, err
}

func TestUnusableGoTypeFailsBeforeAnyRequest(t *testing.T) {
	tests := []struct {
		name    string
		extract func(context.Context, *reask.Client) (*reask.Report, error)
		// mention is what the error must name: the field or type at fault.
		mention string
	}{
		{"func field", extractAs[withFunc], "withFunc.Hook"},
		{"complex field", extractAs[withComplex], "withComplex.Z"},
		{"map with bool keys", extractAs[withBoolKeys], "withBoolKeys.Flags"},
		{"chan deep in a slice of structs", extractAs[withDeepChan], "withDeepChan.Rows[].Cells[]"},
		{"string", extractAs[string], "must be a struct"},
		{"pointer to int", extractAs[*int], "must be a struct"},
		{"slice of structs", extractAs[[]UserInfo], "must be a struct"},
		{"map", extractAs[map[string]any], "must be a struct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil, reask.Config{})
			rep, err := tt.extract(t.Context(), f.client)
			if !errors.Is(err, reask.ErrInvalidInput) || !errors.Is(err, schema.ErrUnsupportedType) {
				t.Fatalf("error %v, want ErrInvalidInput and schema.ErrUnsupportedType", err)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not name %q", err, tt.mention)
			}
			if rep == nil || rep.Calls != 0 || rep.Attempts != 0 {
				t.Errorf("report %+v, want one with no call", rep)
			}
			if n := f.script.calls(); n != 0 {
				t.Errorf("server saw %d requests, want none", n)
			}
		})
	}
}

// checkSchemaRefused runs every entry point that takes a *schema.Schema
// with s and checks that each fails with ErrInvalidInput, mentioning
// mention, before any request reaches the server.
func checkSchemaRefused(t *testing.T, s *schema.Schema, mention string) {
	t.Helper()
	f := newFixture(t, []step{{content: johnJSON}, {content: johnJSON}, {content: johnJSON}}, reask.Config{})
	for _, call := range []struct {
		name string
		run  func() (*reask.Report, error)
	}{
		{"Run", func() (*reask.Report, error) {
			_, rep, err := f.client.Run(t.Context(), reask.Task{Schema: s, Input: johnText})
			return rep, err
		}},
		{"Run with messages", func() (*reask.Report, error) {
			msgs := []reask.Message{{Role: reask.RoleUser, Content: johnText}}
			_, rep, err := f.client.Run(t.Context(), reask.Task{Schema: s, Messages: msgs})
			return rep, err
		}},
	} {
		rep, err := call.run()
		if !errors.Is(err, reask.ErrInvalidInput) {
			t.Errorf("%s: error %v, want ErrInvalidInput", call.name, err)
		} else if !strings.Contains(err.Error(), mention) {
			t.Errorf("%s: error %q does not mention %q", call.name, err, mention)
		}
		if rep == nil || rep.Calls != 0 {
			t.Errorf("%s: report %+v, want one with no call", call.name, rep)
		}
	}
	if n := f.script.calls(); n != 0 {
		t.Errorf("server saw %d requests, want none", n)
	}
}

func TestMissingSchemaFailsBeforeAnyRequest(t *testing.T) {
	checkSchemaRefused(t, nil, "no schema")
}

func TestUncompiledSchemaFailsBeforeAnyRequest(t *testing.T) {
	for _, tt := range []struct {
		name   string
		schema *schema.Schema
	}{
		{"zero value", &schema.Schema{}},
		{"new", new(schema.Schema)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkSchemaRefused(t, tt.schema, "schema")
		})
	}
}
