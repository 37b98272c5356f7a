package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/reask/reask"
)

// Preset binds a JSON Schema to a model alias, for clients that cannot
// send a schema (json_object SDK defaults, curl scripts, old SDKs): a
// request whose model is Name goes upstream as a request for Model and is
// held to Schema as if it had sent it.
type Preset struct {
	// Name is the alias clients ask for; it may not be a model an
	// upstream lists.
	Name string
	// Model is the model the request goes upstream as, routed (with its
	// fallbacks) as a request for it is.
	Model string
	// Schema is the JSON Schema the answer is held to, compiled within
	// Config.Schema's limits when the gateway is made.
	Schema json.RawMessage
}

// FilePreset is a preset in the configuration file: exactly one of Schema
// (inline) and SchemaFile (a path, relative to the configuration file's
// directory) gives its JSON Schema.
type FilePreset struct {
	Name       string          `json:"name"`
	Model      string          `json:"model"`
	Schema     json.RawMessage `json:"schema,omitempty"`
	SchemaFile string          `json:"schema_file,omitempty"`
}

// schemaFromPreset is the X-Reask-Schema header of an answer held to a
// preset's schema.
const schemaFromPreset = "preset"

// presetInstruction introduces the preset's schema in the turn the
// gateway adds: the client's messages do not carry it.
const presetInstruction = "Answer with only a JSON object that is valid against this JSON Schema:\n"

// presetsError is the error of the file's first preset that does not
// decode, its field named with the preset's index ("presets[0].shema"),
// which the decoder of the whole file does not give; nil when every
// preset decodes (or there are none to read).
func presetsError(data []byte) error {
	var probe struct {
		Presets []json.RawMessage `json:"presets"`
	}
	if json.Unmarshal(data, &probe) != nil {
		return nil
	}
	for i, raw := range probe.Presets {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		var p FilePreset
		if err := dec.Decode(&p); err != nil {
			var ce *ConfigError
			if errors.As(fileError(err), &ce) {
				field := fmt.Sprintf("presets[%d]", i)
				if ce.Field != "(file)" {
					field += "." + ce.Field
				}
				return configErr(field, "%s", ce.Msg)
			}
		}
	}
	return nil
}

// applyPresets reads the file's presets into c, the schema files
// resolved against dir.
func (f *File) applyPresets(c *Config, dir string) error {
	for i, p := range f.Presets {
		field := fmt.Sprintf("presets[%d]", i)
		doc := p.Schema
		switch {
		case len(p.Schema) > 0 && p.SchemaFile != "":
			return configErr(field, "both schema and schema_file: give exactly one")
		case p.SchemaFile != "":
			path := p.SchemaFile
			if !filepath.IsAbs(path) {
				path = filepath.Join(dir, path)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return configErr(field+".schema_file", "%v", err)
			}
			doc = b
		}
		c.Presets = append(c.Presets, Preset{Name: p.Name, Model: p.Model, Schema: doc})
	}
	return nil
}

// compilePresets checks c's presets against its upstreams (served, the
// set of listed models; catchAll, whether an upstream takes every model)
// and compiles their schemas within c.Schema's limits.
func (c Config) compilePresets(served map[string]string, catchAll bool) (map[string]*promptSchema, error) {
	out := map[string]*promptSchema{}
	for i, p := range c.Presets {
		f := fmt.Sprintf("presets[%d]", i)
		_, listed := served[p.Name]
		_, modelServed := served[p.Model]
		switch {
		case strings.TrimSpace(p.Name) == "" || p.Name != strings.TrimSpace(p.Name):
			return nil, configErr(f+".name", "%q is not a model name", p.Name)
		case p.Name == CatchAll:
			return nil, configErr(f+".name", "%q is reserved for fallbacks", p.Name)
		case listed:
			return nil, configErr(f+".name", "%q is a model upstream %q serves; a preset needs a name of its own", p.Name, served[p.Name])
		case out[p.Name] != nil:
			return nil, configErr(f+".name", "%q is used twice", p.Name)
		case p.Model == "":
			return nil, configErr(f+".model", "required: the model the preset's requests go upstream as")
		case p.Model == p.Name:
			return nil, configErr(f+".model", "%q: a preset cannot name itself", p.Model)
		case !modelServed && !catchAll:
			return nil, configErr(f+".model", "no upstream serves %q", p.Model)
		case len(p.Schema) == 0:
			return nil, configErr(f+".schema", "required: give schema (inline) or schema_file")
		}
		doc, err := rewriteNullable(p.Schema)
		ps := promptSchema{preset: p.Model}
		if err == nil {
			ps.sch, err = c.Schema.CompileNamed(p.Name, doc)
		}
		if err != nil {
			return nil, configErr(f+".schema", "%v", err)
		}
		h := sha256.New()
		h.Write([]byte(p.Name))
		h.Write([]byte{0})
		h.Write(p.Schema)
		h.Sum(ps.key[:0])
		out[p.Name] = &ps
	}
	return out, nil
}

// takePreset turns a request for a preset's name into one for the
// preset's model (routing, fallbacks and prices are the model's), and
// marks it for holdPreset.
func (g *Gateway) takePreset(cr *chatRequest) {
	if p := g.presets[cr.model]; p != nil {
		cr.model, cr.preset = p.preset, p
	}
}

// holdPreset holds a preset's request to its schema when the request has
// none of its own: json_object (repaired even with JSONObjectPassthrough:
// the operator asked for the schema), or no response format, no tools and
// one choice (the answer is then the validated JSON). A request that
// sends its own schema (json_schema, a forced tool) is held to that one:
// the client stated its contract, and the preset is the default for
// clients that cannot. A request with n > 1 or tools passes through.
func (cr *chatRequest) holdPreset() error {
	switch {
	case cr.form == reask.ModeJSONObject:
	case cr.jsonObject:
		ok, err := cr.takeJSONObject()
		if !ok || err != nil {
			return err
		}
	case cr.plainText():
		if err := cr.readMessages(); err != nil {
			return err
		}
		cr.form = reask.ModeText
	default:
		return nil
	}
	cr.prompt = cr.preset
	return nil
}

// presetSchemas compiles c's presets, which Validate has checked.
func (c Config) presetSchemas() (map[string]*promptSchema, error) {
	served := map[string]string{}
	catchAll := false
	for _, u := range c.Upstreams {
		catchAll = catchAll || len(u.Models) == 0
		for _, m := range u.Models {
			if _, ok := served[m]; !ok {
				served[m] = u.Name
			}
		}
	}
	return c.compilePresets(served, catchAll)
}
