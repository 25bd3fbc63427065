package basip

// The list filter's object form. BAS-IP documents `filter` as an object
// of four fields (android-panels 2.x get-access-identifier-items, users,
// apartments, time profiles; the multi-apartment v0 API), and clients
// send it two ways:
//
//   - as one JSON object in `filter=` (the v0 API's RapidAPI wrapper:
//     filter={"filter_field":"apartment_name","filter_type":"equal",…});
//   - as four flat query parameters, filter_field, filter_type,
//     filter_format, filter_value (artonit-svc Device.cs for api major ≠ 1,
//     artonit-com on /api/v0).
//
// Both become one comparison of the list's filter language
// (basip_filter.go), so they filter exactly as the expression
// `field eq 'value'` does; list_option.filter echoes the object.

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"
)

// filterObject is the object form as BAS-IP documents it.
type filterObject struct {
	Field  string          `json:"filter_field"`
	Type   string          `json:"filter_type"`
	Format string          `json:"filter_format,omitempty"`
	Value  json.RawMessage `json:"filter_value"`
}

// filterTypes maps filter_type to the language's operators: equal is
// every list's (android-panels); less and more are the apartments'
// residents filter (android-panels 2.9.0 get-apartments-list MOD3).
var filterTypes = map[string]fop{"equal": opEq, "less": opLt, "more": opGt}

// readFilter reads `filter` in any of its three forms into q.
func (q *listQuery) readFilter(args *fasthttp.Args) error {
	raw := bytes.TrimSpace(args.Peek("filter"))
	switch {
	case len(raw) > 0 && raw[0] == '{':
		var o filterObject
		dec := json.NewDecoder(bytes.NewReader(raw))
		if dec.Decode(&o) != nil || dec.More() {
			return bErr(400, "Wrong query parameter `filter`: not a JSON object of filter_field, filter_type, filter_format, filter_value")
		}
		q.filterObj = &o
	case len(raw) == 0 && len(args.Peek("filter_field")) > 0:
		o := filterObject{Field: string(args.Peek("filter_field")), Type: string(args.Peek("filter_type")),
			Format: string(args.Peek("filter_format"))}
		o.Value, _ = json.Marshal(string(args.Peek("filter_value")))
		q.filterObj = &o
	default:
		q.filter = string(args.Peek("filter"))
		return nil
	}
	if q.filterObj.Type == "" {
		q.filterObj.Type = "equal"
	}
	if _, ok := filterTypes[q.filterObj.Type]; !ok {
		return bErr(400, "Wrong query parameter `filter_type`: equal, less or more")
	}
	if len(q.filterObj.Value) == 0 {
		q.filterObj.Value = json.RawMessage(`""`)
	}
	b, _ := json.Marshal(q.filterObj)
	q.filter = string(b)
	return nil
}

// filterEcho is list_option.filter: the object when the object form was
// sent, else the filter string (possibly "").
func (q *listQuery) filterEcho() any {
	if q.filterObj != nil {
		return q.filterObj
	}
	return q.filter
}

// isFilterObject reports whether filter is the object form (readFilter
// stores it as its JSON).
func isFilterObject(filter string) bool { return strings.HasPrefix(filter, "{") }

// parseFilterObject makes the object form one comparison on fields.
func parseFilterObject(filter string, fields *filterFields) (*filterExpr, error) {
	var o filterObject
	if err := json.Unmarshal([]byte(filter), &o); err != nil {
		return nil, bErr(400, "Wrong query parameter `filter`: not a JSON object of filter_field, filter_type, filter_format, filter_value")
	}
	f, ok := fields.byName[o.Field]
	if !ok {
		return nil, bErr(400, "Wrong query parameter `filter_field`: one of "+fields.names)
	}
	op, ok := filterTypes[o.Type]
	if !ok {
		return nil, bErr(400, "Wrong query parameter `filter_type`: equal, less or more")
	}
	// filter_value is a string (filter_format string) or, from a JSON
	// object, possibly a number or true/false; it is read as the field's
	// type.
	var text string
	if json.Unmarshal(o.Value, &text) != nil {
		text = string(bytes.TrimSpace(o.Value))
	}
	var val fval
	switch f.kind {
	case fText:
		val = ftext(text)
	case fNumber:
		n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
		if err != nil {
			return nil, bErr(400, "Wrong query parameter `filter_value`: `"+o.Field+"` is a number")
		}
		val = fnum(n)
	default:
		if text != "true" && text != "false" {
			return nil, bErr(400, "Wrong query parameter `filter_value`: `"+o.Field+"` is true or false")
		}
		val = fbool(text == "true")
	}
	if f.kind == fBool && op != opEq {
		return nil, bErr(400, "Wrong query parameter `filter_type`: `"+o.Field+"` is true or false: equal only")
	}
	return &filterExpr{root: &fnode{kind: nCmp, field: f.name, op: op, val: val}}, nil
}
