package fault

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestTableComplete: every Kind the package declares has a row, and every
// row says how its fault is made, found and named, so that a fault added
// without one of them fails here rather than going unseen.
func TestTableComplete(t *testing.T) {
	for _, k := range declaredKinds(t) {
		if !Known(k) {
			t.Errorf("kind %s is declared but has no row in the table", k)
		}
	}
	seen := map[Kind]bool{}
	ranks := map[int]Kind{}
	for _, r := range table {
		if seen[r.kind] {
			t.Errorf("%s: two rows", r.kind)
		}
		seen[r.kind] = true
		if r.apply == nil {
			t.Errorf("%s: no apply (how Render makes it)", r.kind)
		}
		if r.syntax != (r.parsed != nil) {
			t.Errorf("%s: a syntax fault is found by parsed, a value fault by differs", r.kind)
		}
		if (r.parsed != nil) == (r.differs != nil) {
			t.Errorf("%s: want one of parsed and differs (how Classify finds it)", r.kind)
		}
		if len(r.words) == 0 {
			t.Errorf("%s: no words (how feedback names it)", r.kind)
		}
		if r.wrapper && r.stage != inText {
			t.Errorf("%s: a wrapper changes the text", r.kind)
		}
		if r.stage == inValue && r.syntax {
			t.Errorf("%s: a value fault keeps the syntax", r.kind)
		}
		if other, ok := ranks[r.rank]; ok {
			t.Errorf("%s and %s share rank %d", r.kind, other, r.rank)
		}
		ranks[r.rank] = r.kind
	}
	for i := 1; i < len(byRank); i++ {
		if byRank[i].stage < byRank[i-1].stage {
			t.Errorf("%s (rank %d) is made before %s (rank %d) of an earlier stage", byRank[i-1].kind, byRank[i-1].rank, byRank[i].kind, byRank[i].rank)
		}
	}
}

// TestWordsAddressTheirFault: feedback that says only one of a row's words
// names that row's fault.
func TestWordsAddressTheirFault(t *testing.T) {
	for _, r := range table {
		for _, w := range r.words {
			stem, isStem := strings.CutSuffix(w, "*")
			text := "Problem: " + stem
			if isStem {
				text += "ed" // a stem matches inside a longer word
			}
			if !Addressed(Fault{Kind: r.kind}, text) {
				t.Errorf("%s: feedback %q is not addressed", r.kind, text)
			}
			if !isStem && stems[w] {
				t.Errorf("%s: %q is a stem elsewhere: mark it %q here too", r.kind, w, w+"*")
			}
		}
	}
}

// declaredKinds lists the constants of type Kind in the package's files.
func declaredKinds(t *testing.T) []Kind {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []Kind
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Kind" {
					continue
				}
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok {
						out = append(out, Kind(strings.Trim(lit.Value, `"`)))
					}
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("found no Kind constants")
	}
	return out
}
