package core

import (
	"strconv"

	"github.com/doord/doord/store"
	"github.com/valyala/fasthttp"
)

// Caller is the operator a request was authenticated as.
type Caller struct {
	ID         uint64
	Username   string
	Role       store.Role
	MustChange bool // must change its password before anything else
}

// Request is what a handler sees: the fasthttp context, the path's
// {name} values (copied out of fasthttp's buffers) and the caller (nil
// on Public routes).
type Request struct {
	Ctx    *fasthttp.RequestCtx
	Params PathParams
	Op     *Caller
}

// Handler serves one route; a returned error becomes the dialect's error
// answer.
type Handler func(r *Request) error

// Param returns the path's {name} value ("" when the route has none).
func (r *Request) Param(name string) string {
	v, _ := r.Params.Get(name)
	return v
}

// UintParam parses a numeric id from the path; a non-number or 0 is an
// *Error with status 404, the same as an id that does not exist.
func UintParam(p *PathParams, name string) (uint64, error) {
	s, _ := p.Get(name)
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 {
		return 0, ErrStatus(404, name+" "+strconv.Quote(s)+" does not exist")
	}
	return v, nil
}
