//go:build !arm && !arm64

// The OpenAPI validator (kin-openapi's openapi3filter with its JSON
// Schema 2020-12 validator) is compiled only where the HTTP suite runs in
// full: make test runs it on amd64 with -race and validates every
// exchange there. On ARM (make test-arm runs the HTTP suite with -short)
// validateExchange stays nil; see contract_test.go.

package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// contract is openapi.json loaded, checked and routed, once per test
// binary.
var contract struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// contractOptions validate formats too (date, date-time, uuid): an answer
// with "created_at": "yesterday" breaks the document. Authentication is
// the server's business, not the document's: the tests' tokens are
// checked by doord itself.
var contractOptions = &openapi3filter.Options{
	AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
	MultiError:         true,
	// An answer with a status the operation does not list breaks the
	// document too.
	IncludeResponseStatus: true,
	SchemaValidationOptions: []openapi3.SchemaValidationOption{
		openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
	},
}

func openAPIContract(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	contract.once.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(openAPI)
		if err != nil {
			contract.err = err
			return
		}
		if err := doc.Validate(context.Background(), openapi3.EnableSchemaFormatValidation()); err != nil {
			contract.err = err
			return
		}
		contract.doc = doc
		contract.router, contract.err = legacy.NewRouter(doc)
	})
	if contract.err != nil {
		t.Fatalf("openapi.json: %v", contract.err)
	}
	return contract.doc, contract.router
}

// The document is a valid OpenAPI 3.1 document, served as it is.
func TestOpenAPIDocumentIsValidAndServed(t *testing.T) {
	if doc, _ := openAPIContract(t); doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi.json declares OpenAPI %q", doc.OpenAPI)
	}
	e := newEnv(t)
	r := e.do("GET", "/api/v1/openapi.json", e.admin, "").want(200)
	if !bytes.Equal(r.body, openAPI) {
		t.Error("GET /api/v1/openapi.json does not serve the embedded document")
	}
	var doc map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil || doc["openapi"] != "3.1.0" {
		t.Errorf("served document: openapi %v (%v)", doc["openapi"], err)
	}
	e.do("GET", "/api/v1/openapi.json", "", "").want(401)
}

func init() { validateExchange = (*env).validateAgainstOpenAPI }

// validateAgainstOpenAPI validates one exchange the tests made against
// openapi.json: every answer of a native route, and every request doord
// accepted (2xx). Requests doord refuses are the tests' deliberate bad
// input and are not held to the document. BAS-IP routes, unknown routes
// and the event stream are not part of the document.
func (e *env) validateAgainstOpenAPI(method, path string, reqHdr http.Header, reqBody []byte, status int, resHdr http.Header, resBody []byte) {
	e.t.Helper()
	if !strings.HasPrefix(path, "/api/v1/") || status == 404 && !strings.Contains(string(resBody), `"status":404`) {
		return
	}
	pathOnly, _, _ := strings.Cut(path, "?")
	entry, _, _, found := e.srv.rt.match(method, pathOnly)
	if !found || entry.h == nil || strings.HasPrefix(resHdr.Get("Content-Type"), "text/event-stream") {
		return
	}
	// A path without scheme and host: openapi.json's server is "/".
	req, err := http.NewRequest(method, path, bytes.NewReader(reqBody))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header = reqHdr
	_, router := openAPIContract(e.t)
	route, params, err := router.FindRoute(req)
	if err != nil {
		e.t.Errorf("%s %s: no route in openapi.json: %v", method, path, err)
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: contractOptions}
	var errs []string
	if status >= 200 && status < 300 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			errs = append(errs, "request: "+reasons(err))
		}
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: resHdr,
		Body: io.NopCloser(bytes.NewReader(resBody)), Options: contractOptions}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		errs = append(errs, "response: "+reasons(err))
	}
	if len(errs) > 0 {
		e.t.Errorf("%s %s → %d breaks openapi.json:\n  %s\n  request body: %.300s\n  answer: %.300s",
			method, path, status, strings.Join(errs, "\n  "), reqBody, resBody)
	}
}

// reasons spells out every failure of a validation, one per line
// (MultiError gathers them).
func reasons(err error) string {
	var multi openapi3.MultiError
	if !errors.As(err, &multi) {
		return err.Error()
	}
	var out []string
	for _, e := range multi {
		out = append(out, reasons(e))
	}
	return strings.Join(out, "\n  ")
}

// recorder is a testing.TB that keeps Errorf's messages instead of
// failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Helper() {}

// The contract check fails a test whose exchange breaks the document: an
// answer without a required field, a request doord accepted with a field
// the document does not have. (Without this, a check that never ran would
// pass every test.)
func TestContractCheckCatchesDrift(t *testing.T) {
	e := newEnv(t)
	rec := &recorder{TB: t}
	probe := &env{t: rec, srv: e.srv} // checkContract needs only these
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	jsonHdr := hdr("Content-Type", "application/json", "Authorization", "Bearer x")
	// An answer that lacks the user's uid and state.
	probe.checkContract("GET", "/api/v1/users/1", hdr("Authorization", "Bearer x"), nil, 200, hdr("Content-Type", "application/json"),
		[]byte(`{"id":"7d3c2a52-1f7e-4a43-9b2e-0c5f4f6e2a10","ext_id":"x","name":"A","locks":"both","custom_access":false,"security":false,"extended_unlock":false,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`))
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "uid") {
		t.Errorf("an answer without uid passed the contract check: %q", rec.errs)
	}
	rec.errs = nil
	// A create doord accepted with a field the document does not know.
	probe.checkContract("POST", "/api/v1/apartments", jsonHdr, []byte(`{"name":"A","address":{"building":1,"unit":0,"floor":0,"room":1},"colour":"red"}`),
		201, hdr("Content-Type", "application/json", "Location", "/api/v1/apartments/1"),
		[]byte(`{"id":1,"name":"A","address":{"building":1,"unit":0,"floor":0,"room":1},"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","residents":{"count":0,"users":[]}}`))
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "colour") {
		t.Errorf("an accepted request with an unknown field passed the contract check: %q", rec.errs)
	}
}

// The contract check holds answers to the document's formats and
// statuses too: a date-time or a uuid that is not one, and a status the
// operation does not list, each fail it.
func TestContractCheckCatchesFormatsAndStatuses(t *testing.T) {
	e := newEnv(t)
	rec := &recorder{TB: t}
	probe := &env{t: rec, srv: e.srv}
	reqHdr := http.Header{"Authorization": {"Bearer x"}}
	resHdr := http.Header{"Content-Type": {"application/json"}}
	apartment := func(created string) []byte {
		return []byte(`{"id":1,"name":"A","address":{"building":1,"unit":0,"floor":0,"room":1},"created_at":"` + created +
			`","updated_at":"2026-01-01T00:00:00Z","residents":{"count":0,"users":[]}}`)
	}
	probe.checkContract("GET", "/api/v1/apartments/1", reqHdr, nil, 200, resHdr, apartment("2026-01-01T00:00:00Z"))
	if len(rec.errs) != 0 {
		t.Fatalf("a valid answer failed the contract check: %q", rec.errs)
	}
	probe.checkContract("GET", "/api/v1/apartments/1", reqHdr, nil, 200, resHdr, apartment("yesterday"))
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], `"/created_at": string doesn't match the format "date-time"`) {
		t.Errorf("an answer whose created_at is not a date-time passed the contract check: %q", rec.errs)
	}
	rec.errs = nil

	// A create as doord answers it, then with its uuid replaced.
	create := `{"name":"A","locks":"both"}`
	r := e.do("POST", "/api/v1/users", e.admin, create).want(201)
	var user map[string]any
	if err := json.Unmarshal(r.body, &user); err != nil {
		t.Fatal(err)
	}
	user["id"] = "not-a-uuid"
	bad, _ := json.Marshal(user)
	createHdr := http.Header{"Authorization": {"Bearer x"}, "Content-Type": {"application/json"}}
	createdHdr := http.Header{"Content-Type": {"application/json"}, "Location": {r.hdr["Location"]}}
	probe.checkContract("POST", "/api/v1/users", createHdr, []byte(create), 201, createdHdr, r.body)
	if len(rec.errs) != 0 {
		t.Fatalf("doord's own create answer failed the contract check: %q", rec.errs)
	}
	probe.checkContract("POST", "/api/v1/users", createHdr, []byte(create), 201, createdHdr, bad)
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "'not-a-uuid' is not valid uuid") {
		t.Errorf("an answer whose id is not a uuid passed the contract check: %q", rec.errs)
	}
	rec.errs = nil

	probe.checkContract("GET", "/api/v1/apartments/1", reqHdr, nil, 204, http.Header{}, nil)
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "status is not supported") {
		t.Errorf("an answer with a status the document does not list passed the contract check: %q", rec.errs)
	}
}
