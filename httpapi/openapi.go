package httpapi

import _ "embed"

// openAPI is the native API's contract (OpenAPI 3.1), served at
// /api/v1/openapi.json. openapi_test.go holds it to the router both ways
// (every route documented, every documented route served) and validates
// every request the tests make that doord accepts, and every answer, against
// it: a handler that drifts from the document fails the suite.
//
//go:embed openapi.json
var openAPI []byte

func (s *Server) openapi(r *request) error {
	r.ctx.SetStatusCode(200)
	r.ctx.SetContentType("application/json")
	r.ctx.SetBody(openAPI)
	return nil
}
