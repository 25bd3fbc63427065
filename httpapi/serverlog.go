package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"

	"github.com/doord/doord/httpapi/basip"
	"github.com/valyala/fasthttp"
)

// fasthttp reports requests it cannot parse in two places: the server's
// Logger and its ErrorHandler. Both get errors whose text quotes the raw
// request bytes ("… contents: GET /api/v1/login?username=…&password=<md5>
// … Authorization: Bearer …"), and fasthttp's RequestCtx.String, which
// some of its log lines carry, holds the request URI. Neither may reach a
// log or an answer: this file turns them into a kind and a size.

// fasthttpLogger is the fasthttp.Server Logger. The format string is
// fasthttp's own constant text and is kept; of the arguments only numbers
// are kept, and errors are reduced to their kind and the size fasthttp
// reports. Strings (addresses, request lines, URIs) are counted, not shown.
type fasthttpLogger struct{ l *slog.Logger }

func (f fasthttpLogger) Printf(format string, args ...any) {
	attrs := []any{"format", format}
	withheld := 0
	for _, a := range args {
		switch v := a.(type) {
		case int, int64, uint, uint64, int32, uint32, float64:
			attrs = append(attrs, "n", v)
		case error:
			kind, size := requestErrKind(v)
			attrs = append(attrs, "kind", kind)
			if size >= 0 {
				attrs = append(attrs, "size", size)
			}
		default:
			withheld += len(fmt.Sprint(v))
		}
	}
	if withheld > 0 {
		attrs = append(attrs, "withheld_bytes", withheld)
	}
	f.l.Warn("fasthttp", attrs...)
}

// bufferSize is the only part of fasthttp's header error text that is kept:
// "buffer size=N" says how much was read, nothing of what.
var bufferSize = regexp.MustCompile(`buffer size=(\d+)`)

// requestErrKind names what went wrong with a request fasthttp could not
// read, without any of its bytes, and the size fasthttp read (-1 unknown).
func requestErrKind(err error) (kind string, size int) {
	size = -1
	if m := bufferSize.FindStringSubmatch(err.Error()); m != nil {
		size, _ = strconv.Atoi(m[1])
	}
	var small *fasthttp.ErrSmallBuffer
	var te interface{ Timeout() bool } // net.Error, and fasthttputil's pipe timeout
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return "body too large", size
	case errors.As(err, &small):
		return "headers too large", size
	case errors.As(err, &te) && te.Timeout():
		return "timeout", size
	case errors.Is(err, fasthttp.ErrBadTrailer):
		return "bad trailer", size
	}
	return "malformed request", size
}

// errorHandler answers requests fasthttp rejected before our handler ran,
// by kind only: the answer never quotes the request. fasthttp's default
// turns an oversized body into a 400; the API promises 413.
func (s *Server) errorHandler(ctx *fasthttp.RequestCtx, err error) {
	kind, size := requestErrKind(err)
	s.log.Info("request refused before routing", "kind", kind, "size", size, "remote", ctx.RemoteIP().String())
	// Whatever fasthttp parsed of the request may be garbage or anything
	// the client sent; the problem's "instance" would quote its path.
	bas := kind == "body too large" && s.basipAsks(ctx)
	importMax := 0
	if kind == "body too large" {
		importMax = s.importLimits(&ctx.Request.Header).MaxRequestBodySize
	}
	ctx.Request.Reset()
	switch {
	case bas:
		basip.WriteError(ctx, 413, basip.MsgBodyTooLarge)
	case importMax > 0:
		writeProblem(ctx, 413, fmt.Sprintf("the import file exceeds the limit of %d bytes (http.max_import_bytes in the config)", importMax))
	case kind == "body too large":
		writeProblem(ctx, 413, fmt.Sprintf("the request body exceeds the limit of %d bytes", s.cfg.MaxBodyBytes))
	case kind == "headers too large":
		writeProblem(ctx, 431, "the request line and headers are too large")
	case kind == "timeout":
		writeProblem(ctx, 408, "the request was not received in time")
	default:
		writeProblem(ctx, 400, "the request could not be parsed as HTTP/1.1 (request line, headers or body framing)")
	}
	ctx.SetConnectionClose()
}
