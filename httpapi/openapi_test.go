package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/doord/doord/httpapi/console"
	"github.com/doord/doord/store/storetest"
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

// noSim satisfies Simulator so that the simulator's routes register; the
// router test never calls it.
type noSim struct{ Simulator }

// nativeRoutes lists the router's native routes as "METHOD /path" with
// every parameter written {}.
func nativeRoutes(s *Server) []string {
	var out []string
	for _, r := range s.rt.Routes {
		segs := make([]string, len(r.Segs))
		for i, seg := range r.Segs {
			if strings.HasPrefix(seg, "{") {
				seg = "{}"
			}
			segs[i] = seg
		}
		for m, e := range r.Methods {
			if !e.basip {
				out = append(out, m+" /"+strings.Join(segs, "/"))
			}
		}
	}
	slices.Sort(out)
	return out
}

// documentedOps lists openapi.json's operations as method and path.
func documentedOps(t *testing.T) [][2]string {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	for p, ops := range doc.Paths {
		for m := range ops {
			out = append(out, [2]string{strings.ToUpper(m), p})
		}
	}
	return out
}

func normalized(path string) string {
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") {
			segs[i] = "{}"
		}
	}
	return strings.Join(segs, "/")
}

// Every native route is in the document, and every documented operation
// reaches a native route (with doors and the simulator present, as on
// `make run`). A literal path the document lists beside a parameter
// (/operators/me beside /operators/{id}) counts when the router sends it
// to the parameter's route.
func TestOpenAPICoversTheRouterBothWays(t *testing.T) {
	st := storetest.Open(t)
	s := New(st, Config{}, nil, Parts{Doors: &fakeDoors{doors: map[string]*DoorView{}}, Sim: noSim{}})
	ops := documentedOps(t)
	var documented []string
	for _, o := range ops {
		documented = append(documented, o[0]+" "+normalized(o[1]))
	}
	for _, r := range nativeRoutes(s) {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	// The web console (/ and /console/*) is served beside the router and is
	// not part of the API: no route and no documented path is under it.
	for _, r := range append(nativeRoutes(s), documented...) {
		_, p, _ := strings.Cut(r, " ")
		if console.Owns(p) {
			t.Errorf("%s is the console's, not the API's", r)
		}
	}
	for _, p := range []string{"/", "/console/app.js"} {
		if _, _, _, _, found := s.rt.Match("GET", p); found {
			t.Errorf("the router has a route for the console's %s", p)
		}
	}
	for _, o := range ops {
		concrete := strings.NewReplacer("{id}", "1", "{ref}", "1", "{reader}", "1", "{input}", "door1_contact").Replace(o[1])
		e, _, _, ok, found := s.rt.Match(o[0], concrete)
		if !found || !ok || e.basip {
			t.Errorf("openapi.json documents %s %s, which the router does not serve", o[0], o[1])
		}
	}
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

// httpHeader copies fasthttp headers into a net/http Header.
func httpHeader(h interface {
	All() iter.Seq2[[]byte, []byte]
}) http.Header {
	out := http.Header{}
	for k, v := range h.All() {
		out.Add(string(k), string(v))
	}
	return out
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
