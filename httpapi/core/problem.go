package core

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/valyala/fasthttp"
)

// FieldError names one bad input field. Validation collects every bad field
// of a request before answering, so a client fixes them all in one round.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
}

// problemTypes gives each status a stable type URI; clients switch on the
// type, not on the English title.
var problemTypes = map[int]string{
	400: "malformed-request",
	401: "unauthorized",
	403: "forbidden",
	404: "not-found",
	405: "method-not-allowed",
	406: "not-acceptable",
	409: "conflict",
	413: "body-too-large",
	415: "unsupported-media-type",
	422: "validation-failed",
	429: "too-many-requests",
	500: "internal-error",
	503: "unavailable",
	507: "insufficient-storage",
}

func problemType(status int) string {
	if t, ok := problemTypes[status]; ok {
		return "https://doord.dev/problems/" + t
	}
	return "about:blank"
}

// WriteProblem answers with a problem+json body. instance is the request
// path, so a log line and a client report point at the same request.
func WriteProblem(ctx *fasthttp.RequestCtx, status int, detail string, errs ...FieldError) {
	p := Problem{
		Type:     problemType(status),
		Title:    http.StatusText(status),
		Status:   status,
		Detail:   detail,
		Instance: string(ctx.Path()),
		Errors:   errs,
	}
	b, _ := json.Marshal(p)
	// Keep headers already set (WWW-Authenticate, Allow, Retry-After);
	// drop any partial body.
	ctx.Response.ResetBody()
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/problem+json")
	ctx.SetBody(b)
}

// Error is an error a handler returns to pick its status and detail;
// each dialect words it its own way.
type Error struct {
	Status int
	Detail string
	Errs   []FieldError
	// RetryAfter, when set, becomes a Retry-After header (seconds).
	RetryAfter int
}

func (e *Error) Error() string { return strconv.Itoa(e.Status) + " " + e.Detail }

// ErrStatus is an Error with a status and a detail.
func ErrStatus(status int, detail string) *Error {
	return &Error{Status: status, Detail: detail}
}

// ErrValidation is the 422 for the bad fields errs.
func ErrValidation(errs []FieldError) *Error {
	return &Error{Status: 422, Detail: "the request has invalid fields; see errors", Errs: errs}
}

// ErrField is the 422 for one bad field.
func ErrField(field, msg string) *Error {
	return ErrValidation([]FieldError{{Field: field, Message: msg}})
}
