package main

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// A pin (or CA) with an http:// URL is refused, not silently unused.
func TestClientRefusesPinOverPlainHTTP(t *testing.T) {
	t.Setenv("DOORD_CA", "")
	t.Setenv("DOORD_FINGERPRINT", "")
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := addAPIFlags(fs)
	pin := strings.Repeat("AB", 32)
	if err := fs.Parse([]string{"--url", "http://10.0.0.5:8080", "--token", "t", "--fingerprint", pin}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client("user list"); err == nil || !strings.Contains(err.Error(), "https://") {
		t.Fatalf("http:// with --fingerprint: %v, want a usage error", err)
	}
	*f.url = "https://10.0.0.5:8443"
	if _, err := f.client("user list"); err != nil {
		t.Fatalf("https:// with --fingerprint: %v", err)
	}
}
