package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/doord/doord/httpapi"
)

// TLS settings of [http]: tls = "self-signed" makes a key and certificate
// in the data directory on first start; tls_cert and tls_key name PEM
// files of the installer's own. Either way `listen` then speaks HTTPS,
// and plain HTTP is off unless plain_listen names an address for it,
// where it answers GET /api/v1/health only (plain = "health", the
// default) or everything (plain = "all").

func (h *HTTPConfig) tlsOn() bool { return h.TLS == "self-signed" || h.TLSCert != "" }

func (h *HTTPConfig) validateTLS() []string {
	var errs []string
	switch h.TLS {
	case "", "self-signed":
	default:
		errs = append(errs, `http.tls: must be "" (use tls_cert/tls_key, or plain HTTP without them) or "self-signed"`)
	}
	if (h.TLSCert == "") != (h.TLSKey == "") {
		errs = append(errs, "http.tls_cert and http.tls_key: set both or neither")
	}
	if h.TLS == "self-signed" && h.TLSCert != "" {
		errs = append(errs, `http.tls = "self-signed" and http.tls_cert: choose one`)
	}
	switch h.Plain {
	case "", "health", "all":
	default:
		errs = append(errs, `http.plain: must be "health" (GET /api/v1/health only) or "all"`)
	}
	if h.PlainListen != "" && !h.tlsOn() {
		errs = append(errs, "http.plain_listen: only with TLS (without it, listen is plain HTTP already)")
	}
	return errs
}

// loadTLS returns the certificate the config asks for (nil when TLS is
// off) and whether it was just made.
func loadTLS(h HTTPConfig, dataDir string) (cert *tls.Certificate, created bool, err error) {
	switch {
	case h.TLS == "self-signed":
		c, created, err := httpapi.SelfSigned(dataDir)
		if err != nil {
			return nil, false, fmt.Errorf("tls: %w", err)
		}
		return &c, created, nil
	case h.TLSCert != "":
		c, err := tls.LoadX509KeyPair(h.TLSCert, h.TLSKey)
		if err != nil {
			return nil, false, fmt.Errorf("tls: certificate %s / key %s: %w", h.TLSCert, h.TLSKey, err)
		}
		return &c, false, nil
	}
	return nil, false, nil
}

// printTLS follows the first-login hint: how to reach the API over
// HTTPS and the fingerprint to check (or pin) a self-signed certificate by.
func printTLS(w io.Writer, addr, dataDir string, cert *tls.Certificate, selfSigned bool) {
	fmt.Fprintf(w, "doord: the API is served over HTTPS at https://%s/api/v1/\n", addr)
	if selfSigned {
		fmt.Fprintf(w, "Its certificate is self-signed (%s); check that a client sees this SHA-256 fingerprint:\n\n    %s\n\n"+
			"e.g. curl --cacert %s https://localhost:PORT/api/v1/health\n\n",
			filepath.Join(dataDir, httpapi.SelfSignedCertFile), httpapi.Fingerprint(*cert), filepath.Join(dataDir, httpapi.SelfSignedCertFile))
		return
	}
	fmt.Fprintf(w, "Certificate SHA-256 fingerprint: %s\n\n", httpapi.Fingerprint(*cert))
}

const versionHelp = `Prints doord's version. With --tls also the SHA-256 fingerprint of the
API's TLS certificate (the config's, or the self-signed one in the data
directory), to compare with what a client sees or to pin it
(--fingerprint of the commands that talk to the daemon).`

// versionCmd is `doord version [--tls [--config FILE] [--data DIR]]`.
func versionCmd(fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	showTLS := fs.Bool("tls", false, "also show the TLS certificate's SHA-256 fingerprint")
	cfgPath := fs.String("config", "", "config file (TOML)")
	data := fs.String("data", "", "data directory (overrides the config; default ./data)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("version: unexpected argument %q", pos[0])
	}
	fmt.Fprintln(stdout, "doord", version)
	if !*showTLS {
		return nil
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *data != "" {
		cfg.Data = *data
	}
	h := cfg.HTTP
	if h.TLS == "" && h.TLSCert == "" {
		// No config says so, but a self-signed pair may be in the data
		// directory: show it rather than nothing.
		h.TLS = "self-signed"
		if _, err := tls.LoadX509KeyPair(filepath.Join(cfg.Data, httpapi.SelfSignedCertFile), filepath.Join(cfg.Data, httpapi.SelfSignedKeyFile)); err != nil {
			fmt.Fprintln(stdout, "tls: off (set [http] tls = \"self-signed\" or tls_cert/tls_key)")
			return nil
		}
	}
	cert, _, err := loadTLS(h, cfg.Data)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "tls certificate SHA-256 fingerprint:", httpapi.Fingerprint(*cert))
	return nil
}
