package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// object is a decoded JSON object body, kept field by field so that
// validation can report every wrong type at once (encoding/json stops at the
// first) and so that PATCH can tell an absent field from an explicit null
// (RFC 7396 merge patch).
type object struct {
	fields map[string]json.RawMessage
	errs   []FieldError
	prefix string
}

// parseObject decodes body as one JSON object. Anything else is a 400: the
// body is not something field validation can talk about.
func parseObject(body []byte) (*object, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, errStatus(400, "the request body is empty; a JSON object is required")
	}
	if body[0] != '{' {
		return nil, errStatus(400, "the request body must be a JSON object")
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&m); err != nil {
		return nil, errStatus(400, "malformed JSON: "+err.Error())
	}
	if dec.More() {
		return nil, errStatus(400, "malformed JSON: data after the object")
	}
	return &object{fields: m}, nil
}

func (o *object) sub(name string, raw json.RawMessage) (*object, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		o.fail(name, "must be an object")
		return nil, false
	}
	return &object{fields: m, prefix: o.prefix + name + "."}, true
}

func (o *object) fail(field, msg string) {
	o.errs = append(o.errs, FieldError{Field: o.prefix + field, Message: msg})
}

func (o *object) failf(field, format string, args ...any) {
	o.fail(field, fmt.Sprintf(format, args...))
}

// has reports whether the field is present, null or not.
func (o *object) has(name string) bool {
	_, ok := o.fields[name]
	return ok
}

// raw returns the field and whether it is present and not null.
func (o *object) raw(name string) (json.RawMessage, bool) {
	r, ok := o.fields[name]
	if !ok || isNull(r) {
		return nil, false
	}
	return r, true
}

func isNull(r json.RawMessage) bool { return string(bytes.TrimSpace(r)) == "null" }

// field decodes the field name as a T. present is whether the body has
// it at all; ok whether v holds its value (null is T's zero value). A
// value of another type is a field error saying msg, and ok is false.
func field[T any](o *object, name, msg string) (v T, present, ok bool) {
	r, present := o.fields[name]
	if !present {
		return v, false, false
	}
	if isNull(r) {
		return v, true, true
	}
	if err := json.Unmarshal(r, &v); err != nil {
		o.fail(name, msg)
		return v, true, false
	}
	return v, true, true
}

// str decodes a string field with a length limit in characters. It returns
// whether the field was present (null counts as present and sets "").
func (o *object) str(name string, dst *string, max int) bool {
	s, present, ok := field[string](o, name, "must be a string")
	switch {
	case !ok:
	case max > 0 && utf8.RuneCountInString(s) > max:
		o.failf(name, "must be at most %d characters", max)
	default:
		*dst = s
	}
	return present
}

func (o *object) boolean(name string, dst *bool) bool {
	b, present, ok := field[bool](o, name, "must be true or false")
	if ok {
		*dst = b
	}
	return present
}

func (o *object) strs(name string, dst *[]string, maxItems, maxLen int) bool {
	ss, present, ok := field[[]string](o, name, "must be an array of strings")
	if !ok {
		return present
	}
	if len(ss) > maxItems {
		o.failf(name, "must have at most %d items", maxItems)
		return true
	}
	seen := map[string]bool{}
	out := ss[:0] // nil for null
	for i, s := range ss {
		if s == "" || utf8.RuneCountInString(s) > maxLen {
			o.failf(name+"["+strconv.Itoa(i)+"]", "must be 1 to %d characters", maxLen)
			continue
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	*dst = out
	return true
}

func (o *object) ids(name string, dst *[]uint64) bool {
	ids, present, ok := field[[]uint64](o, name, "must be an array of positive integer ids")
	if !ok {
		return present
	}
	seen := map[uint64]bool{}
	out := ids[:0] // nil for null
	for _, id := range ids {
		if id == 0 {
			o.fail(name, "ids start at 1")
			return true
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	*dst = out
	return true
}

// uint decodes a non-negative integer no larger than max.
func (o *object) uint(name string, dst *uint64, max uint64) bool {
	n, present, ok := field[uint64](o, name, "must be a non-negative integer")
	switch {
	case !ok:
	case n > max:
		o.failf(name, "must be at most %d", max)
	default:
		*dst = n
	}
	return present
}

// int decodes an integer (negative too); range checks are the caller's.
func (o *object) int(name string, dst *int) bool {
	n, present, ok := field[int32](o, name, "must be an integer")
	if ok {
		*dst = int(n)
	}
	return present
}

// ints decodes an array of at most maxItems integers, dropping repeats.
func (o *object) ints(name string, dst *[]int, maxItems int) bool {
	ns, present, ok := field[[]int32](o, name, "must be an array of integers")
	switch {
	case !ok:
		return present
	case ns == nil: // null
		*dst = nil
		return true
	case len(ns) > maxItems:
		o.failf(name, "must have at most %d items", maxItems)
		return true
	}
	out := make([]int, 0, len(ns))
	for _, n := range ns {
		if !slices.Contains(out, int(n)) {
			out = append(out, int(n))
		}
	}
	*dst = out
	return true
}

// timePtr decodes an RFC 3339 time; null clears it.
func (o *object) timePtr(name string, dst **time.Time) bool {
	s, present, ok := field[*string](o, name, "must be an RFC 3339 time string, e.g. 2026-01-31T08:00:00Z")
	switch {
	case !ok:
	case s == nil: // null
		*dst = nil
	default:
		t, err := time.Parse(time.RFC3339Nano, *s)
		if err != nil {
			o.fail(name, "must be an RFC 3339 time, e.g. 2026-01-31T08:00:00Z")
			break
		}
		t = t.UTC()
		*dst = &t
	}
	return present
}

func (o *object) err() error {
	if len(o.errs) == 0 {
		return nil
	}
	return errValidation(o.errs)
}
