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

// str decodes a string field with a length limit in characters. It returns
// whether the field was present (null counts as present and sets "").
func (o *object) str(name string, dst *string, max int) bool {
	r, ok := o.fields[name]
	if !ok {
		return false
	}
	if isNull(r) {
		*dst = ""
		return true
	}
	var s string
	if err := json.Unmarshal(r, &s); err != nil {
		o.fail(name, "must be a string")
		return true
	}
	if max > 0 && utf8.RuneCountInString(s) > max {
		o.failf(name, "must be at most %d characters", max)
		return true
	}
	*dst = s
	return true
}

func (o *object) boolean(name string, dst *bool) bool {
	r, ok := o.fields[name]
	if !ok {
		return false
	}
	if isNull(r) {
		*dst = false
		return true
	}
	if err := json.Unmarshal(r, dst); err != nil {
		o.fail(name, "must be true or false")
	}
	return true
}

func (o *object) strs(name string, dst *[]string, maxItems, maxLen int) bool {
	r, ok := o.fields[name]
	if !ok {
		return false
	}
	if isNull(r) {
		*dst = nil
		return true
	}
	var ss []string
	if err := json.Unmarshal(r, &ss); err != nil {
		o.fail(name, "must be an array of strings")
		return true
	}
	if len(ss) > maxItems {
		o.failf(name, "must have at most %d items", maxItems)
		return true
	}
	seen := map[string]bool{}
	out := ss[:0]
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
	r, ok := o.fields[name]
	if !ok {
		return false
	}
	if isNull(r) {
		*dst = nil
		return true
	}
	var ids []uint64
	if err := json.Unmarshal(r, &ids); err != nil {
		o.fail(name, "must be an array of positive integer ids")
		return true
	}
	seen := map[uint64]bool{}
	out := ids[:0]
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
	r, ok := o.fields[name]
	if !ok {
		return false
	}
	if isNull(r) {
		*dst = 0
		return true
	}
	var n uint64
	if err := json.Unmarshal(r, &n); err != nil {
		o.fail(name, "must be a non-negative integer")
		return true
	}
	if n > max {
		o.failf(name, "must be at most %d", max)
		return true
	}
	*dst = n
	return true
}

// int decodes an integer (negative too); range checks are the caller's.
func (o *object) int(name string, dst *int) bool {
	r, ok := o.fields[name]
	if !ok {
		return false
	}
	if isNull(r) {
		*dst = 0
		return true
	}
	var n int32
	if err := json.Unmarshal(r, &n); err != nil {
		o.fail(name, "must be an integer")
		return true
	}
	*dst = int(n)
	return true
}

// ints decodes an array of at most maxItems integers, dropping repeats.
func (o *object) ints(name string, dst *[]int, maxItems int) bool {
	r, ok := o.fields[name]
	if !ok {
		return false
	}
	if isNull(r) {
		*dst = nil
		return true
	}
	var ns []int32
	if err := json.Unmarshal(r, &ns); err != nil {
		o.fail(name, "must be an array of integers")
		return true
	}
	if len(ns) > maxItems {
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
	r, ok := o.fields[name]
	if !ok {
		return false
	}
	if isNull(r) {
		*dst = nil
		return true
	}
	var s string
	if err := json.Unmarshal(r, &s); err != nil {
		o.fail(name, "must be an RFC 3339 time string, e.g. 2026-01-31T08:00:00Z")
		return true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		o.fail(name, "must be an RFC 3339 time, e.g. 2026-01-31T08:00:00Z")
		return true
	}
	t = t.UTC()
	*dst = &t
	return true
}

func (o *object) err() error {
	if len(o.errs) == 0 {
		return nil
	}
	return errValidation(o.errs)
}
