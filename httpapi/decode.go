package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// object is a decoded JSON object body, kept field by field so that
// validation can report every wrong type at once (encoding/json stops at the
// first) and so that PATCH can tell an absent field from an explicit null
// (RFC 7396 merge patch).
//
// Native bodies are strict: every field a handler reads is known (see
// lookup), a handler names the read-only fields its GET shows (readOnly),
// and err reports any other field as unknown. A misspelt access field
// ("lock_number" for "locks") is then a 422 instead of being ignored
// while the record keeps, or gets, access it was not meant to have.
type object struct {
	fields   map[string]json.RawMessage
	errs     []FieldError
	prefix   string
	known    map[string]bool
	children []*object // sub-objects, checked for unknown fields with o
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
	c := &object{fields: m, prefix: o.prefix + name + "."}
	o.children = append(o.children, c)
	return c, true
}

// lookup returns the field and whether the body has it (null counts),
// and marks it known. Every accessor reads through it.
func (o *object) lookup(name string) (json.RawMessage, bool) {
	if o.known == nil {
		o.known = make(map[string]bool, len(o.fields))
	}
	o.known[name] = true
	r, ok := o.fields[name]
	return r, ok
}

// readOnly marks fields the record's GET shows but a write cannot set,
// so that a GET → PUT round trip is not refused for carrying them; their
// values are ignored.
func (o *object) readOnly(names ...string) {
	for _, n := range names {
		o.lookup(n)
	}
}

// viewFields lists the JSON names a GET of a T shows (embedded structs
// flattened), for readOnly: whatever a GET returns, a PUT or PATCH of the
// same body accepts.
func viewFields[T any]() []string {
	t := reflect.TypeFor[T]()
	if v, ok := viewFieldCache.Load(t); ok {
		return v.([]string)
	}
	var names []string
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case name == "-":
			case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
				walk(f.Type)
			case f.IsExported():
				if name == "" {
					name = f.Name
				}
				names = append(names, name)
			}
		}
	}
	walk(t)
	viewFieldCache.Store(t, names)
	return names
}

var viewFieldCache sync.Map // reflect.Type → []string

// unknown appends an error for each field of o and its sub-objects that
// no accessor read and readOnly did not name, in name order, unless a
// handler already said what is wrong with it.
func (o *object) unknown(errs []FieldError) []FieldError {
	names := make([]string, 0, len(o.fields))
	for k := range o.fields {
		if !o.known[k] && !slices.ContainsFunc(errs, func(e FieldError) bool { return e.Field == o.prefix+k }) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		errs = append(errs, FieldError{Field: o.prefix + k, Message: "is not a field of this object"})
	}
	for _, c := range o.children {
		errs = c.unknown(errs)
	}
	return errs
}

func (o *object) fail(field, msg string) {
	o.errs = append(o.errs, FieldError{Field: o.prefix + field, Message: msg})
}

func (o *object) failf(field, format string, args ...any) {
	o.fail(field, fmt.Sprintf(format, args...))
}

// has reports whether the field is present, null or not.
func (o *object) has(name string) bool {
	_, ok := o.lookup(name)
	return ok
}

// raw returns the field and whether it is present and not null.
func (o *object) raw(name string) (json.RawMessage, bool) {
	r, ok := o.lookup(name)
	if !ok || isNull(r) {
		return nil, false
	}
	return r, true
}

// field decodes the field name as a T. present is whether the body has
// it at all; ok whether v holds its value (null is T's zero value). A
// value of another type is a field error saying msg, and ok is false.
func field[T any](o *object, name, msg string) (v T, present, ok bool) {
	r, present := o.lookup(name)
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

// err is the 422 for every bad and every unknown field, or nil. Call it
// after every field was read.
func (o *object) err() error {
	errs := o.unknown(o.errs[:len(o.errs):len(o.errs)])
	if len(errs) == 0 {
		return nil
	}
	return errValidation(errs)
}
