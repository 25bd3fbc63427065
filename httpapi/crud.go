package httpapi

import "strconv"

// The native API's record routes share one shape per verb: the id from
// the path (a non-number is a 404), the store's call, the record as its
// view renders it. These helpers hold that shape once, so a resource's
// file says only what is its own: how a body applies to its record and
// how the record is shown.

// itself is the view of a record that is answered as the store keeps it.
func itself[T any](v T) (T, error) { return v, nil }

// createRecord answers POST on a collection: the body applied to a new
// record as a replace (every required field must be there), the record
// stored, and 201 with its Location (base and its id) and its view.
func createRecord[T, V any](apply func(*object, *T, bool), create func(*T) error, base string, id func(T) uint64, view func(T) (V, error)) handlerFunc {
	return func(r *request) error {
		o, err := parseObject(r.ctx.PostBody())
		if err != nil {
			return err
		}
		var v T
		apply(o, &v, true)
		if err := o.err(); err != nil {
			return err
		}
		if err := create(&v); err != nil {
			return err
		}
		out, err := view(v)
		if err != nil {
			return err
		}
		return created(r, base+strconv.FormatUint(id(v), 10), out)
	}
}

// listPage answers GET on a collection: one page from ?cursor and ?limit,
// each record as view renders it; items is [] (never null) when empty.
func listPage[T, V any](list func(cursor string, limit int) ([]T, string, error), view func(T) (V, error)) handlerFunc {
	return func(r *request) error {
		limit, err := listLimit(r)
		if err != nil {
			return err
		}
		vs, next, err := list(string(r.ctx.QueryArgs().Peek("cursor")), limit)
		if err != nil {
			return err
		}
		out := make([]V, 0, len(vs))
		for _, v := range vs {
			o, err := view(v)
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		return writeJSON(r.ctx, 200, listOut[V]{Items: out, NextCursor: nextCursor(next)})
	}
}

// getByID answers GET …/{id}: the record get finds, as view renders it.
func getByID[T, V any](get func(uint64) (T, error), view func(T) (V, error)) handlerFunc {
	return func(r *request) error {
		id, err := uintParam(r, "id")
		if err != nil {
			return err
		}
		v, err := get(id)
		if err != nil {
			return err
		}
		return answerView(r, view, v)
	}
}

// updateByID answers PATCH (replace false) and PUT (replace true) on
// …/{id}. The body is parsed once, before the store's transaction; apply
// runs inside it, on the record as stored, and its field errors abort the
// write. The store may run apply more than once (a retried transaction),
// so each run starts with no errors.
func updateByID[T, V any](update func(uint64, func(*T) error) (T, error), apply func(*object, *T, bool), view func(T) (V, error), replace bool) handlerFunc {
	return func(r *request) error {
		id, err := uintParam(r, "id")
		if err != nil {
			return err
		}
		o, err := parseObject(r.ctx.PostBody())
		if err != nil {
			return err
		}
		v, err := update(id, func(v *T) error {
			o.errs = o.errs[:0]
			apply(o, v, replace)
			return o.err()
		})
		if err != nil {
			return err
		}
		return answerView(r, view, v)
	}
}

// deleteByID answers DELETE …/{id} with 204 once del has removed it.
func deleteByID(del func(uint64) error) handlerFunc {
	return func(r *request) error {
		id, err := uintParam(r, "id")
		if err != nil {
			return err
		}
		if err := del(id); err != nil {
			return err
		}
		return noContent(r)
	}
}

// answerView answers 200 with v as view renders it.
func answerView[T, V any](r *request, view func(T) (V, error), v T) error {
	out, err := view(v)
	if err != nil {
		return err
	}
	return writeJSON(r.ctx, 200, out)
}
