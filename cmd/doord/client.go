package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// The commands that talk to a running daemon (backup --url, user, card,
// and whatever else needs the API) share these flags and one small HTTP
// client. Each flag falls back to an environment variable, so a script
// sets them once:
//
//	DOORD_URL          the daemon's base URL
//	DOORD_TOKEN        an API token (or DOORD_TOKEN_FILE, a file holding one)
//	DOORD_CA           a PEM file of the CA (or the self-signed certificate) to trust
//	DOORD_FINGERPRINT  the SHA-256 fingerprint of the daemon's certificate to pin
//
// The token is never a flag default (it would show in --help).

// apiFlags are the connection flags, defined on a command's flag set.
type apiFlags struct {
	url, token, tokenFile, ca, fingerprint *string
}

func addAPIFlags(fs *flag.FlagSet) *apiFlags {
	return &apiFlags{
		url:         fs.String("url", "", "daemon's base URL, e.g. https://10.0.0.5:8443 (default $DOORD_URL)"),
		token:       fs.String("token", "", "API token (default $DOORD_TOKEN)"),
		tokenFile:   fs.String("token-file", "", "file holding the API token (default $DOORD_TOKEN_FILE)"),
		ca:          fs.String("ca", "", "PEM file of the CA or self-signed certificate to trust for https (default $DOORD_CA)"),
		fingerprint: fs.String("fingerprint", "", "SHA-256 fingerprint of the daemon's certificate to pin, as doord version --tls prints it (default $DOORD_FINGERPRINT)"),
	}
}

// orEnv is v, or the environment variable when v is empty.
func orEnv(v, env string) string {
	if v != "" {
		return v
	}
	return os.Getenv(env)
}

// client makes the client the flags describe; a missing URL or token is
// a usage error (exit 2), named for cmd.
func (f *apiFlags) client(cmd string) (*apiClient, error) {
	base := strings.TrimRight(orEnv(*f.url, "DOORD_URL"), "/")
	if base == "" {
		return nil, usageErrorf("%s: give the daemon's --url (or DOORD_URL)", cmd)
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, usageErrorf("%s: --url %q: must start with http:// or https://", cmd, base)
	}
	token := orEnv(*f.token, "DOORD_TOKEN")
	if tf := orEnv(*f.tokenFile, "DOORD_TOKEN_FILE"); token == "" && tf != "" {
		b, err := os.ReadFile(tf)
		if err != nil {
			return nil, fmt.Errorf("%s: token file: %w", cmd, err)
		}
		token = strings.TrimSpace(string(b))
	}
	if token == "" {
		return nil, usageErrorf("%s: an API token is required: --token, --token-file, DOORD_TOKEN or DOORD_TOKEN_FILE", cmd)
	}
	ca, pin := orEnv(*f.ca, "DOORD_CA"), orEnv(*f.fingerprint, "DOORD_FINGERPRINT")
	if (ca != "" || pin != "") && strings.HasPrefix(base, "http://") {
		// Over plain HTTP there is no certificate to check: the pin the
		// user asked for would be silently ignored, the token sent in clear.
		return nil, usageErrorf("%s: --ca and --fingerprint (or DOORD_CA, DOORD_FINGERPRINT) need an https:// --url; %s is plain HTTP", cmd, base)
	}
	tc, err := clientTLS(ca, pin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	// No overall timeout: a backup or an import of a large store over a
	// slow link takes what it takes; the daemon cuts off a peer that stalls.
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: tc, ResponseHeaderTimeout: time.Minute}
	return &apiClient{base: base, token: token, hc: &http.Client{Transport: tr}}, nil
}

// clientTLS trusts the system's CAs, or caFile's certificates instead;
// with a pinned fingerprint the daemon's certificate must also be exactly
// that one. A pin alone is enough for a self-signed certificate (the pin
// is stronger than a chain, and the certificate's names need not match
// the address used).
func clientTLS(caFile, pin string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca %s: no PEM certificate in it", caFile)
		}
	}
	if pin == "" {
		return tc, nil
	}
	want, err := hex.DecodeString(strings.NewReplacer(":", "", " ", "").Replace(pin))
	if err != nil || len(want) != sha256.Size {
		return nil, fmt.Errorf("--fingerprint: want the certificate's SHA-256 as 64 hex digits (colons allowed), as doord version --tls prints it")
	}
	// Without a CA the chain is not checked (a self-signed certificate
	// has none); the pin below is then the whole check.
	tc.InsecureSkipVerify = caFile == ""
	tc.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the daemon sent no certificate")
		}
		got := sha256.Sum256(cs.PeerCertificates[0].Raw)
		if subtle.ConstantTimeCompare(got[:], want) != 1 {
			return fmt.Errorf("the daemon's certificate has SHA-256 fingerprint %X, not the pinned one", got[:])
		}
		return nil
	}
	return tc, nil
}

// apiClient calls the native API with a bearer token.
type apiClient struct {
	base, token string
	hc          *http.Client
}

// apiError is an answer other than 2xx, with the problem+json's words.
type apiError struct {
	status int
	title  string
	detail string
	fields []struct{ Field, Message string }
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("the daemon answered %d %s", e.status, http.StatusText(e.status))
	if e.title != "" && e.title != http.StatusText(e.status) {
		msg += ": " + e.title
	}
	if e.detail != "" {
		msg += ": " + e.detail
	}
	for _, f := range e.fields {
		msg += fmt.Sprintf("\n  %s: %s", f.Field, f.Message)
	}
	return msg
}

// exitCode is the status a script sees for this answer.
func (e *apiError) exitCode() int {
	switch e.status {
	case http.StatusNotFound:
		return exitNotFound
	case http.StatusConflict:
		return exitConflict
	case http.StatusUnauthorized, http.StatusForbidden:
		return exitRefused
	}
	return exitFailed
}

// asExit gives an API error its exit status; other errors pass through.
func asExit(err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		return exitError{code: ae.exitCode(), err: err}
	}
	return err
}

// open sends a request and returns the answer when it is 2xx; otherwise
// an *apiError. The caller closes the body.
func (c *apiClient) open(method, path string, body io.Reader, accept string) (*http.Response, error) {
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", accept+", application/problem+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, c.base, err)
	}
	if res.StatusCode/100 == 2 {
		return res, nil
	}
	defer res.Body.Close()
	ae := &apiError{status: res.StatusCode}
	var p struct {
		Title, Detail string
		Errors        []struct{ Field, Message string }
	}
	if json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&p) == nil {
		ae.title, ae.detail, ae.fields = p.Title, p.Detail, p.Errors
	}
	return nil, ae
}

// call sends in (JSON, or no body when nil) and returns the answer's raw
// JSON body (nil for 204).
func (c *apiClient) call(method, path string, in any) (json.RawMessage, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	res, err := c.open(method, path, body, "application/json")
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	return raw, nil
}

// callInto is call with the answer decoded into out.
func (c *apiClient) callInto(method, path string, in, out any) (json.RawMessage, error) {
	raw, err := c.call(method, path, in)
	if err != nil || out == nil || raw == nil {
		return raw, err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return raw, fmt.Errorf("%s %s: the answer is not what doord sends: %w", method, path, err)
	}
	return raw, nil
}
