package extract

import (
	"strconv"
	"strings"
	"time"
)

// Date fields: the date nearest its keyword, each date field of an
// object its own date, written as the schema asks.

func (x *extractor) nearestDate(kws []string, sc scope) (time.Time, bool) {
	d := x.d
	best, bestDist := time.Time{}, 1000
	first := time.Time{}
	for _, dm := range d.dates {
		if dm.tok < sc.from || dm.tok >= sc.to {
			continue
		}
		if first.IsZero() {
			first = dm.date
		}
		if dist := x.keywordDistance(kws, dm.tok, sc); dist < bestDist {
			best, bestDist = dm.date, dist
		}
	}
	if bestDist < 1000 {
		return best, true
	}
	return first, !first.IsZero()
}

// keywordDistance is how many words separate token at from the nearest
// keyword before it in the same sentence (or after it, at a cost).
func (x *extractor) keywordDistance(kws []string, at int, sc scope) int {
	d := x.d
	best := 1000
	for j, dist := at-1, 0; j >= sc.from && dist < 6; j-- {
		if d.toks[j].sent != d.toks[at].sent && !(d.toks[j].kind == kPunct) {
			break
		}
		if has(kws, d.toks[j].lower) {
			best = dist
			break
		}
		if d.toks[j].kind != kPunct {
			dist++
		}
	}
	return best
}

// assignDates gives each date field of an object its own date: the
// fields nearest their keywords first, the rest in the text's order.
func (x *extractor) assignDates(s *Schema, sc scope, count map[string]int) map[string]time.Time {
	var fields []*Property
	for _, p := range s.Properties {
		if p.Schema.Type == "string" && conceptOf(p.Name, p.Schema) == cDate {
			fields = append(fields, p)
		}
	}
	if len(fields) < 2 {
		return nil
	}
	var dates []dateMatch
	for _, dm := range x.d.dates {
		if dm.tok >= sc.from && dm.tok < sc.to {
			dates = append(dates, dm)
		}
	}
	out := map[string]time.Time{}
	used := make([]bool, len(dates))
	type pair struct{ f, dt, dist int }
	var pairs []pair
	for fi, p := range fields {
		kws := keywords(p.Name, cDate)
		distinct := kws[:0:0]
		for _, w := range kws {
			if count[strconv.Itoa(int(cDate))+w] < 2 {
				distinct = append(distinct, w)
			}
		}
		for di, dm := range dates {
			if dist := x.keywordDistance(distinct, dm.tok, sc); dist < 1000 {
				pairs = append(pairs, pair{fi, di, dist})
			}
		}
	}
	for len(pairs) > 0 {
		bi := 0
		for i, p := range pairs {
			if p.dist < pairs[bi].dist {
				bi = i
			}
		}
		bp := pairs[bi]
		out[fields[bp.f].Name] = dates[bp.dt].date
		used[bp.dt] = true
		kept := pairs[:0]
		for _, p := range pairs {
			if p.f != bp.f && p.dt != bp.dt {
				kept = append(kept, p)
			}
		}
		pairs = kept
	}
	next := 0
	for _, p := range fields {
		if _, ok := out[p.Name]; ok {
			continue
		}
		for next < len(dates) && used[next] {
			next++
		}
		switch {
		case next < len(dates):
			out[p.Name] = dates[next].date
			used[next] = true
		case len(dates) > 0:
			out[p.Name] = dates[0].date // one date for two fields
		default:
			out[p.Name] = time.Time{}
		}
	}
	return out
}

// formatDate writes t as the schema asks: ISO 8601 dates unless the
// format or the description says otherwise.
func formatDate(t time.Time, s *Schema) any {
	if t.IsZero() {
		return defaultFor(s, 0)
	}
	switch {
	case s.Format == "date-time":
		return t.Format(time.RFC3339)
	case strings.Contains(s.Description, "MM/DD/YYYY"):
		return t.Format("01/02/2006")
	case strings.Contains(s.Description, "DD/MM/YYYY"):
		return t.Format("02/01/2006")
	}
	return t.Format("2006-01-02")
}
