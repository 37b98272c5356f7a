package repair

import "github.com/reask/reask/schema"

// Coerce is a placeholder.
func Coerce(v any, s *schema.Schema) (any, []Fix) { return v, nil }

func (d *document) coerce() {}
