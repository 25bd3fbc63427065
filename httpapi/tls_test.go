package httpapi

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/auth"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// TestSelfSignedCertificate: made once (ECDSA P-256, both files 0600),
// the same on the next load, and its fingerprint is the SHA-256 of the
// certificate as openssl prints it.
func TestSelfSignedCertificate(t *testing.T) {
	dir := t.TempDir()
	cert, created, err := SelfSigned(dir)
	if err != nil || !created {
		t.Fatalf("first SelfSigned: created %v, %v", created, err)
	}
	for _, f := range []string{SelfSignedCertFile, SelfSignedKeyFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v mode %v, want 0600", f, err, fi.Mode().Perm())
		}
	}
	key, ok := cert.PrivateKey.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		t.Errorf("key %T, want ECDSA P-256", cert.PrivateKey)
	}
	again, created, err := SelfSigned(dir)
	if err != nil || created || Fingerprint(again) != Fingerprint(cert) {
		t.Fatalf("second SelfSigned: created %v, %v; fingerprint %s, want %s", created, err, Fingerprint(again), Fingerprint(cert))
	}
	sum := sha256.Sum256(cert.Certificate[0])
	if want := strings.ToUpper(hex.EncodeToString(sum[:])); strings.ReplaceAll(Fingerprint(cert), ":", "") != want || len(Fingerprint(cert)) != 95 {
		t.Errorf("fingerprint %s, want %s in pairs", Fingerprint(cert), want)
	}
	// A damaged pair is not silently replaced (clients pinned it).
	os.WriteFile(filepath.Join(dir, SelfSignedKeyFile), []byte("junk"), 0o600)
	if _, _, err := SelfSigned(dir); err == nil {
		t.Error("SelfSigned replaced an unreadable key pair")
	}
}

// TestAPIOverTLS: a real TLS handshake on an in-memory listener; the
// native and the BAS-IP dialect answer over HTTPS, a client that does
// not trust the certificate is refused, and the plain listener answers
// only health when PlainHealthOnly is set.
func TestAPIOverTLS(t *testing.T) {
	cert, _, err := SelfSigned(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.srv.cfg.PlainHealthOnly = true // after newEnv's login over plain HTTP
	tlsLn := fasthttputil.NewInmemoryListener()
	go e.srv.ServeTLS(tlsLn, TLSConfig(cert))
	t.Cleanup(func() { tlsLn.Close() })

	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	client := func(roots *x509.CertPool) *fasthttp.Client {
		return &fasthttp.Client{
			Dial:      func(string) (net.Conn, error) { return tlsLn.Dial() },
			TLSConfig: &tls.Config{RootCAs: roots, ServerName: "localhost"},
		}
	}
	get := func(c *fasthttp.Client, path, token string) (int, string, error) {
		req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(res)
		req.SetRequestURI("https://localhost" + path)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		err := c.DoTimeout(req, res, 10*time.Second)
		return res.StatusCode(), string(res.Body()), err
	}
	trusted := client(pool)
	if st, body, err := get(trusted, "/api/v1/users", e.admin); err != nil || st != 200 {
		t.Fatalf("native over TLS: %d %s %v", st, body, err)
	}
	st, body, err := get(trusted, "/api/v1/login?username=admin&password="+auth.MD5Hex(adminPW), "")
	if err != nil || st != 200 || !strings.Contains(body, `"token"`) {
		t.Fatalf("BAS-IP login over TLS: %d %s %v", st, body, err)
	}
	if _, _, err := get(client(x509.NewCertPool()), "/api/v1/health", ""); err == nil {
		t.Error("a client that does not trust the certificate got an answer")
	}
	// Plain HTTP (e's in-memory listener) is limited to health.
	e.do("GET", "/api/v1/health", "", "").want(200)
	e.do("GET", "/api/v1/users", e.admin, "").want(403)
	e.do("GET", "/api/v1/login?username=admin&password="+auth.MD5Hex(adminPW), "", "").want(403)
}
