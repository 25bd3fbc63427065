package httpapi

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/doord/doord/store"
	"github.com/valyala/fasthttp"
)

// TLS for the management API. One fasthttp server answers on every
// listener it is given: ServeTLS wraps a listener in TLS (after the
// per-address connection limit, so a flood of handshakes counts against
// it too), Serve answers plain HTTP. With Config.PlainHealthOnly the
// plain listener answers GET /api/v1/health and refuses the rest, so a
// load balancer can probe over HTTP while tokens and passwords only
// travel inside TLS. The BAS-IP dialect is the same handler, so BAS-IP
// clients work over HTTPS unchanged.

// Self-signed key and certificate files in the data directory.
const (
	SelfSignedCertFile = "tls-cert.pem"
	SelfSignedKeyFile  = "tls-key.pem"
)

// ServeTLS answers HTTPS on ln until Shutdown.
func (s *Server) ServeTLS(ln net.Listener, cfg *tls.Config) error {
	return s.fs.Serve(tls.NewListener(newPerIPListener(ln, s.cfg.MaxConnsPerIP), cfg))
}

// TLSConfig is the server's TLS configuration for cert: TLS 1.2 and up
// with Go's default cipher suites (all forward-secret AEADs).
func TLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// refusePlain answers a plain-HTTP request when plain HTTP is limited to
// health, and reports whether it did.
func (s *Server) refusePlain(ctx *fasthttp.RequestCtx) bool {
	if !s.cfg.PlainHealthOnly || ctx.IsTLS() {
		return false
	}
	if string(ctx.Path()) == "/api/v1/health" {
		return false
	}
	writeProblem(ctx, 403, "plain HTTP answers only GET /api/v1/health here; use HTTPS")
	return true
}

// Fingerprint is the SHA-256 of cert's leaf certificate (DER), as
// AA:BB:… — what `openssl x509 -fingerprint -sha256` prints, and what a
// client pins a self-signed certificate by.
func Fingerprint(cert tls.Certificate) string {
	if len(cert.Certificate) == 0 {
		return ""
	}
	sum := sha256.Sum256(cert.Certificate[0])
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// SelfSigned loads the self-signed key and certificate from dir, making
// them on first use: an ECDSA P-256 key and a certificate valid for ten
// years for the host's name, localhost and its addresses at that moment,
// both files mode 0600. created says whether they were just made.
func SelfSigned(dir string) (cert tls.Certificate, created bool, err error) {
	certFile, keyFile := filepath.Join(dir, SelfSignedCertFile), filepath.Join(dir, SelfSignedKeyFile)
	cert, err = tls.LoadX509KeyPair(certFile, keyFile)
	if err == nil {
		return cert, false, nil
	}
	_, cerr := os.Stat(certFile)
	_, kerr := os.Stat(keyFile)
	if !errors.Is(cerr, os.ErrNotExist) || !errors.Is(kerr, os.ErrNotExist) {
		// One of them is there but the pair does not load: never replace
		// a certificate clients may have pinned without being asked.
		return cert, false, fmt.Errorf("self-signed certificate in %s: %w (remove %s and %s to make a new one; clients that pinned the old fingerprint must then be updated)",
			dir, err, SelfSignedCertFile, SelfSignedKeyFile)
	}
	certPEM, keyPEM, err := makeSelfSigned(time.Now())
	if err != nil {
		return cert, false, err
	}
	if err := store.WriteNewFile(keyFile, keyPEM); err != nil {
		return cert, false, err
	}
	if err := store.WriteNewFile(certFile, certPEM); err != nil {
		os.Remove(keyFile)
		return cert, false, err
	}
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
	return cert, err == nil, err
}

func makeSelfSigned(now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "doord " + host, Organization: []string{"doord"}},
		NotBefore:             now.Add(-time.Hour), // a board whose clock is a little behind
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if host != "" && host != "localhost" {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
				tmpl.IPAddresses = append(tmpl.IPAddresses, n.IP)
			}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}
