package repair

import "encoding/json"

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
