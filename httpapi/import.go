package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/httpapi/core"
	"github.com/doord/doord/store"
	"github.com/valyala/fasthttp"
)

// POST /api/v1/import (operators and admins) brings a CSV or NDJSON list
// of users in (importfile.go says what a file holds; store.Import how it
// is validated and written). Query: mode=merge (default) or replace,
// dry_run=true, format=csv|ndjson (else from the Content-Type: text/csv,
// application/x-ndjson). The answer is the summary: 200 when it was
// written (or a dry run found nothing wrong), 422 problem+json with
// errors [{line, field, message}] (the first 100, error_count all of
// them) when any row is bad, nothing being written then.
//
// The body may be far larger than any other route's (a million users
// with a card and a PIN is about 60 MB of CSV), up to MaxImportBytes
// (http.max_import_bytes in doord's config; a larger file is a 413 that
// names it).
// fasthttp reads a body whole before the handler runs, under one limit
// for every route; so as soon as a request's headers are in,
// importLimits raises the limit (and the read timeout) for this route
// alone, and only when the request carries the token of a session that
// may import: nobody else can make the server hold more than
// MaxBodyBytes of a body. The file is then in memory for the import
// (store.Import reads it once per pass).

// importPath is the import route.
const importPath = "/api/v1/import"

// DefaultMaxImportBytes is Config.MaxImportBytes' default: 128 MiB.
const DefaultMaxImportBytes = 128 << 20

// importReadTimeout bounds the upload of an import file.
const importReadTimeout = 10 * time.Minute

// maxImportErrors is how many bad rows an answer lists.
const maxImportErrors = 100

// handleFile registers a route whose body is a file (no JSON check).
func (rt *router) handleFile(method, pattern string, act need, h handlerFunc) {
	rt.Add(method, pattern, routeEntry{h: h, action: act, audit: core.Audited(method, pattern), file: true})
}

func (s *Server) importRoutes(h func(method, pattern string, act need, h handlerFunc)) {
	s.rt.handleFile("POST", importPath, accPeople, s.importUsers)
	h("GET", "/api/v1/export", accRead, s.exportUsers)
}

// importLimits is the server's HeaderReceived: the import's body limit
// and read timeout for a POST to the import route with the token of a
// session that may import; the server's own for every other request.
func (s *Server) importLimits(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	path, _, _ := bytes.Cut(h.RequestURI(), []byte("?"))
	if string(h.Method()) != "POST" || string(path) != importPath {
		return fasthttp.RequestConfig{}
	}
	tok, ok := bearerOf(h.Peek("Authorization"))
	if !ok || !auth.TokenLooksValid(tok) {
		return fasthttp.RequestConfig{}
	}
	si, ok := s.session(tok)
	if !ok || si.scope != "" || authorize(si, accPeople) != nil {
		return fasthttp.RequestConfig{}
	}
	return fasthttp.RequestConfig{MaxRequestBodySize: s.cfg.MaxImportBytes, ReadTimeout: importReadTimeout}
}

// importFormat is the file's format from ?format= or the Content-Type.
func importFormat(r *request) (string, error) {
	if f := string(r.ctx.QueryArgs().Peek("format")); f != "" {
		if f != "csv" && f != "ndjson" {
			return "", errField("format", "must be csv or ndjson")
		}
		return f, nil
	}
	mt := string(bytes.ToLower(bytes.TrimSpace(bytes.SplitN(r.ctx.Request.Header.ContentType(), []byte(";"), 2)[0])))
	switch mt {
	case "text/csv", "application/csv":
		return "csv", nil
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines":
		return "ndjson", nil
	}
	return "", errStatus(415, "send the file as text/csv or application/x-ndjson (or say ?format=csv|ndjson)")
}

func (s *Server) importUsers(r *request) error {
	format, err := importFormat(r)
	if err != nil {
		return err
	}
	opt := store.ImportOptions{By: r.op.username, MaxErrors: maxImportErrors}
	args := r.ctx.QueryArgs()
	switch m := string(args.Peek("mode")); m {
	case "", "merge":
		opt.Mode = store.ImportMerge
	case "replace":
		opt.Mode = store.ImportReplace
	default:
		return errField("mode", "must be merge or replace")
	}
	switch d := string(args.Peek("dry_run")); d {
	case "", "false", "0":
	case "true", "1":
		opt.DryRun = true
	default:
		return errField("dry_run", "must be true or false")
	}
	body := bytes.NewReader(r.ctx.PostBody()) // valid until the handler returns
	src := csvSource(body, body.Size())
	if format == "ndjson" {
		src = ndjsonSource(body, body.Size())
	}
	sum, err := s.st.Import(src, opt)
	if errors.Is(err, store.ErrImportInvalid) {
		return writeImportProblem(r.ctx, sum)
	}
	if errors.Is(err, store.ErrImportConflict) {
		return errStatus(409, err.Error())
	}
	if err != nil {
		return err
	}
	return writeJSON(r.ctx, 200, sum)
}

// writeImportProblem answers a file with bad rows: a problem+json body
// (RFC 9457 allows extension members) with the summary's counts and the
// rows' errors, each with its line.
func writeImportProblem(ctx *fasthttp.RequestCtx, sum store.ImportSummary) error {
	b, err := json.Marshal(sum)
	if err != nil {
		return err
	}
	writeProblem(ctx, 422, strconv.Itoa(sum.ErrorCount)+" rows have errors (see errors: line, field, message); nothing was written")
	p := ctx.Response.Body()
	ctx.SetBody(append(append(append([]byte(nil), p[:len(p)-1]...), ','), b[1:]...))
	return nil
}
