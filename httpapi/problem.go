package httpapi

import (
	"github.com/doord/doord/httpapi/core"
	"github.com/valyala/fasthttp"
)

// FieldError names one bad input field (core.FieldError).
type FieldError = core.FieldError

// Problem is an RFC 9457 problem details body (core.Problem).
type Problem = core.Problem

// writeProblem answers with a problem+json body (core.WriteProblem).
func writeProblem(ctx *fasthttp.RequestCtx, status int, detail string, errs ...FieldError) {
	core.WriteProblem(ctx, status, detail, errs...)
}

// apiError is an error a handler returns to pick its status and detail
// (core.Error).
type apiError = core.Error

func errStatus(status int, detail string) *apiError { return core.ErrStatus(status, detail) }

func errValidation(errs []FieldError) *apiError { return core.ErrValidation(errs) }

func errField(field, msg string) *apiError { return core.ErrField(field, msg) }
