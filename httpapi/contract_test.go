//go:build !arm && !arm64

// The OpenAPI validator (libopenapi and its validator, the largest
// dependency tree doord's tests have) is compiled only where the HTTP
// suite runs in full: make test runs it on amd64 with -race and validates
// every exchange there. The ARM targets run the HTTP suite with -short
// (make test-arm) through contract_off_test.go's no-op, which saves
// compiling libopenapi three more times (GOARM 6, GOARM 7, arm64).

package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
)

// contract is the validator for openapi.json, built once per test binary.
var contract struct {
	once sync.Once
	v    validator.Validator
	err  error
}

func openAPIValidator(t testing.TB) validator.Validator {
	t.Helper()
	contract.once.Do(func() {
		doc, err := libopenapi.NewDocument(openAPI)
		if err != nil {
			contract.err = err
			return
		}
		v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
		if len(errs) > 0 {
			contract.err = errs[0]
			return
		}
		contract.v = v
	})
	if contract.err != nil {
		t.Fatalf("openapi.json: %v", contract.err)
	}
	return contract.v
}

// The document is a valid OpenAPI 3.1 document, served as it is.
func TestOpenAPIDocumentIsValidAndServed(t *testing.T) {
	v := openAPIValidator(t)
	if ok, errs := v.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("openapi.json: %v", e)
		}
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

// checkContract validates one exchange the tests made against
// openapi.json: every answer of a native route, and every request doord
// accepted (2xx). Requests doord refuses are the tests' deliberate bad
// input and are not held to the document. BAS-IP routes, unknown routes
// and the event stream are not part of the document.
func (e *env) checkContract(method, path string, reqHdr http.Header, reqBody []byte, status int, resHdr http.Header, resBody []byte) {
	e.t.Helper()
	if !strings.HasPrefix(path, "/api/v1/") || status == 404 && !strings.Contains(string(resBody), `"status":404`) {
		return
	}
	pathOnly, _, _ := strings.Cut(path, "?")
	entry, _, _, found := e.srv.rt.match(method, pathOnly)
	if !found || entry.h == nil || strings.HasPrefix(resHdr.Get("Content-Type"), "text/event-stream") {
		return
	}
	req, err := http.NewRequest(method, "http://doord"+path, bytes.NewReader(reqBody))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header = reqHdr
	res := &http.Response{StatusCode: status, Header: resHdr, Body: io.NopCloser(bytes.NewReader(resBody)), Request: req}
	v := openAPIValidator(e.t)
	var errs []string
	if status >= 200 && status < 300 {
		if ok, verrs := v.ValidateHttpRequest(req); !ok {
			for _, ve := range verrs {
				errs = append(errs, "request: "+ve.Error()+" "+reasons(ve.SchemaValidationErrors))
			}
		}
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	if ok, verrs := v.ValidateHttpResponse(req, res); !ok {
		for _, ve := range verrs {
			errs = append(errs, "response: "+ve.Error()+" "+reasons(ve.SchemaValidationErrors))
		}
	}
	if len(errs) > 0 {
		e.t.Errorf("%s %s → %d breaks openapi.json:\n  %s\n  request body: %.300s\n  answer: %.300s",
			method, path, status, strings.Join(errs, "\n  "), reqBody, resBody)
	}
}

func reasons(errs []*verrors.SchemaValidationFailure) string {
	var out []string
	for _, e := range errs {
		out = append(out, e.FieldPath+": "+e.Reason)
	}
	return strings.Join(out, "; ")
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
