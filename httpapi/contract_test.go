package httpapi

import "net/http"

// validateExchange holds one exchange of the tests to openapi.json. It is
// set where the validator is compiled (contract_kin_test.go: every target
// but ARM) and nil on ARM, where make test-arm runs the HTTP suite with
// -short: its exchanges are the same bytes as on amd64, where make test
// validates every one, and kin-openapi compiled three more times (GOARM
// 6, GOARM 7, arm64) would buy nothing. No file is built only on ARM, so
// go vet on amd64 covers every file of the package.
var validateExchange func(e *env, method, path string, reqHdr http.Header, reqBody []byte, status int, resHdr http.Header, resBody []byte)

// checkContract validates one exchange the tests made (harness_test.go
// calls it for each), where the validator is compiled.
func (e *env) checkContract(method, path string, reqHdr http.Header, reqBody []byte, status int, resHdr http.Header, resBody []byte) {
	if validateExchange != nil {
		e.t.Helper()
		validateExchange(e, method, path, reqHdr, reqBody, status, resHdr, resBody)
	}
}
