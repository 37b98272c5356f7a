package repair

import (
	"encoding/json"
	"sort"
)

// write appends the compact JSON of node n to dst.
func (p *parser) write(dst []byte, n int32) []byte {
	nd := &p.nodes[n]
	switch nd.kind {
	case kindNull:
		return append(dst, "null"...)
	case kindTrue:
		return append(dst, "true"...)
	case kindFalse:
		return append(dst, "false"...)
	case kindNumber, kindString:
		return append(dst, p.text(nd)...)
	case kindArray:
		dst = append(dst, '[')
		for c := nd.lo; c >= 0; c = p.nodes[c].next {
			if c != nd.lo {
				dst = append(dst, ',')
			}
			dst = p.write(dst, c)
		}
		return append(dst, ']')
	}
	dst = append(dst, '{')
	for c := nd.lo; c >= 0; c = p.nodes[p.nodes[c].next].next {
		if c != nd.lo {
			dst = append(dst, ',')
		}
		dst = append(dst, p.text(&p.nodes[c])...)
		dst = append(dst, ':')
		dst = p.write(dst, p.nodes[c].next)
	}
	return append(dst, '}')
}

// decode decodes node n: nil, bool, json.Number, string, []any or
// map[string]any. A repeated key keeps its last value, as in
// encoding/json.
func (p *parser) decode(n int32) any {
	nd := &p.nodes[n]
	switch nd.kind {
	case kindNull:
		return nil
	case kindTrue:
		return true
	case kindFalse:
		return false
	case kindNumber:
		return json.Number(p.text(nd))
	case kindString:
		return unquote(p.text(nd))
	case kindArray:
		count := 0
		for c := nd.lo; c >= 0; c = p.nodes[c].next {
			count++
		}
		arr := make([]any, 0, count)
		for c := nd.lo; c >= 0; c = p.nodes[c].next {
			arr = append(arr, p.decode(c))
		}
		return arr
	}
	obj := make(map[string]any)
	for c := nd.lo; c >= 0; c = p.nodes[p.nodes[c].next].next {
		obj[unquote(p.text(&p.nodes[c]))] = p.decode(p.nodes[c].next)
	}
	return obj
}

// writeValue appends v as compact JSON. hint is the node v was decoded
// from (or -1): object members keep the order they were written in, and
// values that did not change keep their text.
func (d *document) writeValue(dst []byte, v any, hint int32) []byte {
	p := d.p
	var hn *node
	if hint >= 0 && p != nil {
		hn = &p.nodes[hint]
	}
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		if x {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case json.Number:
		if hn != nil && hn.kind == kindNumber && string(p.text(hn)) == string(x) {
			return append(dst, p.text(hn)...)
		}
		return append(dst, x...)
	case string:
		if hn != nil && hn.kind == kindString && unquote(p.text(hn)) == x {
			return append(dst, p.text(hn)...)
		}
		dst = append(dst, '"')
		dst, _ = appendEscaped(dst, []byte(x))
		return append(dst, '"')
	case []any:
		dst = append(dst, '[')
		child := int32(-1)
		if hn != nil && hn.kind == kindArray {
			child = hn.lo
		} else if len(x) == 1 {
			child = hint // a value wrapped in an array
		}
		for i, item := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = d.writeValue(dst, item, child)
			if child >= 0 && hn != nil && hn.kind == kindArray {
				child = p.nodes[child].next
			} else {
				child = -1
			}
		}
		return append(dst, ']')
	case map[string]any:
		dst = append(dst, '{')
		done := make(map[string]bool, len(x))
		if hn != nil && hn.kind == kindObject {
			for c := hn.lo; c >= 0; c = p.nodes[p.nodes[c].next].next {
				k := unquote(p.text(&p.nodes[c]))
				val, ok := x[k]
				if !ok || done[k] {
					continue
				}
				if len(done) > 0 {
					dst = append(dst, ',')
				}
				done[k] = true
				dst = append(dst, p.text(&p.nodes[c])...)
				dst = append(dst, ':')
				dst = d.writeValue(dst, val, p.nodes[c].next)
			}
		}
		keys := make([]string, 0, len(x)-len(done))
		for k := range x {
			if !done[k] {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			if len(done) > 0 {
				dst = append(dst, ',')
			}
			done[k] = true
			dst = append(dst, '"')
			dst, _ = appendEscaped(dst, []byte(k))
			dst = append(dst, '"', ':')
			dst = d.writeValue(dst, x[k], -1)
		}
		return append(dst, '}')
	}
	// Numbers of other Go types, from a caller's value.
	b, err := json.Marshal(v)
	if err != nil {
		return append(dst, "null"...)
	}
	return append(dst, b...)
}
