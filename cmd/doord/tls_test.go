package main

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/doord/doord/httpapi"
)

// TestSelfSignedTLSDaemon: with tls = "self-signed" the first start
// makes the certificate and prints its fingerprint with the first-login
// hint; the API answers over HTTPS to a client that trusts only that
// certificate; plain HTTP answers health only; `doord version --tls`
// shows the same fingerprint; a restart keeps the certificate.
func TestSelfSignedTLSDaemon(t *testing.T) {
	t.Setenv("DOORD_ADMIN_PASSWORD", "tls test password 1")
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.HTTP.TLS = "self-signed"
	cfg.HTTP.PlainListen = "127.0.0.1:0"
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	d, out := start(t, cfg)
	cert, _, err := httpapi.SelfSigned(dir)
	if err != nil {
		t.Fatal(err)
	}
	fp := httpapi.Fingerprint(cert)
	if !strings.Contains(out, fp) {
		t.Errorf("first start output does not show the fingerprint %s:\n%s", fp, out)
	}
	pem, err := os.ReadFile(filepath.Join(dir, httpapi.SelfSignedCertFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(c *http.Client, url string) int {
		t.Helper()
		res, err := c.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := get(client, "https://"+d.addr()+"/api/v1/health"); st != 200 {
		t.Errorf("health over HTTPS: %d", st)
	}
	if _, err := http.Get("https://" + d.addr() + "/api/v1/health"); err == nil {
		t.Error("a client without the certificate was answered")
	}
	plain := "http://" + d.plainLn.Addr().String()
	if st := get(http.DefaultClient, plain+"/api/v1/health"); st != 200 {
		t.Errorf("health over plain HTTP: %d", st)
	}
	if st := get(http.DefaultClient, plain+"/api/v1/users"); st != 403 {
		t.Errorf("users over plain HTTP: %d, want 403", st)
	}
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runDoord(t, "version", "--tls", "--data", dir)
	if code != 0 || !strings.Contains(stdout, fp) {
		t.Errorf("version --tls: exit %d, %q %q; want the fingerprint %s", code, stdout, stderr, fp)
	}
	d, out = start(t, cfg)
	defer d.stop()
	if again, _, _ := httpapi.SelfSigned(dir); httpapi.Fingerprint(again) != fp || strings.Contains(out, fp) {
		t.Errorf("restart: fingerprint %s (want %s), printed again: %v", httpapi.Fingerprint(again), fp, strings.Contains(out, fp))
	}
}

func TestTLSConfigValidation(t *testing.T) {
	for _, h := range []HTTPConfig{
		{TLS: "yes"},
		{TLSCert: "c.pem"},
		{TLS: "self-signed", TLSCert: "c.pem", TLSKey: "k.pem"},
		{PlainListen: "127.0.0.1:0"},
		{TLS: "self-signed", Plain: "some"},
	} {
		cfg := testConfig(t, t.TempDir())
		cfg.HTTP = h
		if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "http.") {
			t.Errorf("%+v: %v, want an http.* error", h, err)
		}
	}
}
