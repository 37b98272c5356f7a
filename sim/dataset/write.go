package dataset

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Write writes a data set of n items generated from seed into dir:
//
//	dir/items.jsonl      one {"id", "schema", "text"} per line
//	dir/gold.jsonl       one {"id", "gold"} per line, in the same order
//	dir/schemas/NAME.json  each schema the items name
//
// dir is created when missing; existing files are replaced.
func Write(dir string, n int, seed int64) error {
	if n < 0 {
		return fmt.Errorf("dataset: negative item count %d", n)
	}
	if err := os.MkdirAll(filepath.Join(dir, "schemas"), 0o755); err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	for name, s := range schemas {
		if err := os.WriteFile(filepath.Join(dir, "schemas", name+".json"), []byte(s+"\n"), 0o644); err != nil {
			return fmt.Errorf("dataset: %w", err)
		}
	}
	items := Generate(n, seed)
	type text struct {
		ID     string `json:"id"`
		Schema string `json:"schema"`
		Text   string `json:"text"`
	}
	type gold struct {
		ID   string          `json:"id"`
		Gold json.RawMessage `json:"gold"`
	}
	if err := writeLines(filepath.Join(dir, "items.jsonl"), len(items), func(i int) any {
		return text{items[i].ID, items[i].Schema, items[i].Text}
	}); err != nil {
		return err
	}
	return writeLines(filepath.Join(dir, "gold.jsonl"), len(items), func(i int) any {
		return gold{items[i].ID, items[i].Gold}
	})
}

func writeLines(path string, n int, line func(int) any) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("dataset: %w", cerr)
		}
	}()
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range n {
		if err := enc.Encode(line(i)); err != nil {
			return fmt.Errorf("dataset: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	return nil
}
