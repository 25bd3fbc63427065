package main

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/doord/doord/httpapi"
)

// cliDaemon starts a daemon with no board and returns its URL and an
// admin token, with DOORD_URL and DOORD_TOKEN cleared so that each test
// says what it uses.
func cliDaemon(t *testing.T, cfg Config) (*daemon, string) {
	t.Helper()
	d := startCLIDaemon(t, cfg)
	return d, login(t, d, "cli test passphrase")
}

func startCLIDaemon(t *testing.T, cfg Config) *daemon {
	t.Helper()
	t.Setenv("DOORD_ADMIN_PASSWORD", "cli test passphrase")
	for _, k := range []string{"DOORD_URL", "DOORD_TOKEN", "DOORD_TOKEN_FILE", "DOORD_CA", "DOORD_FINGERPRINT"} {
		t.Setenv(k, "")
	}
	d, _ := start(t, cfg)
	t.Cleanup(func() { d.stop() })
	return d
}

// The everyday user and card tasks, run as a script would against a real
// daemon: add with a card and a PIN, search, page, show, disable and
// enable, a card another user holds (exit 4, and the half-made user is
// gone), card add/list/show/remove, delete (then show exits 3), and a
// refused token (exit 5).
func TestUserAndCardCommandsAgainstADaemon(t *testing.T) {
	d, tok := cliDaemon(t, testConfig(t, t.TempDir()))
	t.Setenv("DOORD_URL", "http://"+d.addr())
	tokFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokFile, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOORD_TOKEN_FILE", tokFile)
	ok := func(args ...string) string {
		t.Helper()
		code, so, se := runCmd(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\nstdout %s\nstderr %s", args, code, so, se)
		}
		return so
	}

	out := ok("user", "add", "--name", "Ada Lovelace", "--locks", "1", "--card", "123/4567", "--pin", "4711", "--json")
	var added struct {
		User struct {
			ID, Name, Locks string
			UID             uint64
		}
		Credentials []struct {
			ID          uint64
			Type, Value string
		}
	}
	if err := json.Unmarshal([]byte(out), &added); err != nil {
		t.Fatalf("user add --json: %v\n%s", err, out)
	}
	if added.User.Name != "Ada Lovelace" || added.User.Locks != "1" || len(added.Credentials) != 2 ||
		added.Credentials[0].Value != "8065495" || added.Credentials[1].Type != "pin" {
		t.Fatalf("user add --json = %+v", added)
	}
	if strings.Contains(out, "4711") {
		t.Errorf("the PIN is in the output: %s", out)
	}
	uid := jsonNumber(added.User.UID)
	// --pin - reads the PIN from stdin, keeping it off the command line.
	stdin = strings.NewReader("080815\n")
	defer func() { stdin = os.Stdin }()
	out = ok("user", "add", "--name", "Pat", "--locks", "2", "--pin", "-")
	if !strings.Contains(out, "pin ••••") || strings.Contains(out, "080815") {
		t.Errorf("user add --pin -: %q", out)
	}
	code, _, se := runCmd("user", "add", "--name", "Pat's twin", "--locks", "2", "--pin", "080815")
	if code != exitConflict {
		t.Errorf("the PIN from stdin was not stored: a second user with it: exit %d, %s", code, se)
	}
	out = ok("user", "add", "--name", "Bob", "--locks", "both")
	if !strings.Contains(out, `added user`) || !strings.Contains(out, `"Bob"`) {
		t.Errorf("user add: %q", out)
	}

	// Search and paging: a table on stdout, the next page's command on stderr.
	out = ok("user", "list", "--q", "lovelace")
	if !strings.Contains(out, "Ada Lovelace") || strings.Contains(out, "Bob") || !strings.HasPrefix(out, "UID") {
		t.Errorf("user list --q lovelace:\n%s", out)
	}
	var so string
	code, so, se = runCmd("user", "list", "--limit", "1")
	if code != 0 || strings.Count(so, "\n") != 2 || !strings.Contains(se, "--cursor") {
		t.Errorf("user list --limit 1: exit %d\nstdout %s\nstderr %s", code, so, se)
	}
	code, so, se = runCmd("user", "list", "--limit", "1", "--all")
	if code != 0 || !strings.Contains(so, "Ada") || !strings.Contains(so, "Bob") || !strings.Contains(so, "Pat") || se != "" {
		t.Errorf("user list --all: exit %d\nstdout %s\nstderr %s", code, so, se)
	}

	out = ok("user", "show", uid)
	for _, want := range []string{"Ada Lovelace", "8065495", "pin", "••••"} {
		if !strings.Contains(out, want) {
			t.Errorf("user show lacks %q:\n%s", want, out)
		}
	}
	if out = ok("user", "disable", uid); !strings.Contains(out, "disabled") {
		t.Errorf("user disable: %q", out)
	}
	if out = ok("user", "show", uid, "--json"); !strings.Contains(out, `"state":"disabled"`) {
		t.Errorf("after disable: %s", out)
	}
	if out = ok("user", "enable", uid); !strings.Contains(out, "active") {
		t.Errorf("user enable: %q", out)
	}

	// Ada's card for Carol: refused as a conflict, and Carol is not left
	// behind without it.
	code, _, se = runCmd("user", "add", "--name", "Carol", "--locks", "both", "--card", "8065495")
	if code != exitConflict || !strings.Contains(se, "409") || !strings.Contains(se, "not added") {
		t.Errorf("user add with a taken card: exit %d, stderr %q", code, se)
	}
	if out = ok("user", "list", "--q", "Carol"); strings.Contains(out, "Carol") {
		t.Errorf("the half-made user is still there:\n%s", out)
	}

	out = ok("card", "add", uid, "0x1234", "--json")
	var card struct{ ID uint64 }
	if err := json.Unmarshal([]byte(out), &card); err != nil || card.ID == 0 {
		t.Fatalf("card add --json: %v %s", err, out)
	}
	cid := jsonNumber(card.ID)
	if out = ok("card", "list", uid); !strings.Contains(out, "4660") {
		t.Errorf("card list lacks 0x1234 = 4660:\n%s", out)
	}
	if out = ok("card", "show", cid); !strings.Contains(out, "4660") || !strings.Contains(out, added.User.ID) {
		t.Errorf("card show:\n%s", out)
	}
	ok("card", "remove", cid)
	if code, _, se = runCmd("card", "show", cid); code != exitNotFound {
		t.Errorf("card show after remove: exit %d, want %d; %s", code, exitNotFound, se)
	}
	if code, _, _ = runCmd("card", "show", "abc"); code != exitUsage {
		t.Errorf("card show abc: exit %d, want %d", code, exitUsage)
	}

	ok("user", "delete", uid)
	if code, _, _ = runCmd("user", "show", uid); code != exitNotFound {
		t.Errorf("user show after delete: exit %d, want %d", code, exitNotFound)
	}
	if code, _, se = runCmd("user", "list", "--token", "not-a-token"); code != exitRefused || !strings.Contains(se, "401") {
		t.Errorf("a bad token: exit %d, want %d; %s", code, exitRefused, se)
	}
	if strings.Contains(se, "not-a-token") {
		t.Errorf("the token is echoed: %s", se)
	}
}

func jsonNumber(n uint64) string { b, _ := json.Marshal(n); return string(b) }

// Wrong command lines exit 2 with the usage on stderr; --help exits 0
// with it on stdout, for every command and subcommand in the table.
func TestEveryCommandHasHelpAndUsageErrorsExit2(t *testing.T) {
	for _, k := range []string{"DOORD_URL", "DOORD_TOKEN", "DOORD_TOKEN_FILE"} {
		t.Setenv(k, "")
	}
	var paths [][]string
	for _, c := range commands {
		paths = append(paths, []string{c.name})
		for _, s := range c.subs {
			paths = append(paths, []string{c.name, s.name})
		}
	}
	for _, p := range paths {
		want := "usage: doord " + strings.Join(p, " ")
		for _, args := range [][]string{append(p[:len(p):len(p)], "--help"), append(p[:len(p):len(p)], "-h"), append([]string{"help"}, p...)} {
			code, so, se := runCmd(args...)
			if code != 0 || !strings.HasPrefix(so, want) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0 and %q", args, code, firstLine(so), se, want)
			}
		}
		code, so, se := runCmd(append(p[:len(p):len(p)], "--no-such-flag")...)
		if p[0] == "user" || p[0] == "card" {
			if len(p) == 1 {
				continue // the parent takes a subcommand, tested below
			}
		}
		if code != exitUsage || !strings.Contains(se, want) || so != "" {
			t.Errorf("%v --no-such-flag: exit %d, want 2 with the usage on stderr; stdout %q", p, code, so)
		}
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{}, exitUsage},
		{[]string{"user"}, exitUsage},
		{[]string{"user", "frob"}, exitUsage},
		{[]string{"help", "frob"}, exitUsage},
		{[]string{"help", "user", "frob"}, exitUsage},
		{[]string{"user", "list"}, exitUsage},                                      // no --url
		{[]string{"user", "list", "--url", "http://127.0.0.1:1"}, exitUsage},       // no token
		{[]string{"user", "show", "--url", "http://h", "--token", "t"}, exitUsage}, // no USER
		{[]string{"user", "add", "--url", "http://h", "--token", "t", "--locks", "1"}, exitUsage},
		{[]string{"user", "add", "--url", "http://h", "--token", "t", "--name", "A"}, exitUsage},
		{[]string{"card", "add", "--url", "http://h", "--token", "t", "7"}, exitUsage},
		{[]string{"completion"}, exitUsage},
		{[]string{"completion", "tcsh"}, exitUsage},
		{[]string{"serve", "stray"}, exitUsage},
		{[]string{"check", "stray"}, exitUsage},
		{[]string{"decode"}, exitUsage},
		{[]string{"user", "list", "--url", "http://127.0.0.1:1", "--token", "t"}, exitFailed}, // nothing listens
	} {
		if code, so, se := runCmd(c.args...); code != c.code {
			t.Errorf("%v: exit %d, want %d\nstdout %q\nstderr %q", c.args, code, c.code, so, se)
		}
	}
}

// Over HTTPS with doord's self-signed certificate: trusted with --ca (the
// certificate file) or a pinned --fingerprint; refused without either,
// and with a fingerprint that is not the daemon's.
func TestCommandsTrustASelfSignedDaemonByCAOrPin(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.HTTP.TLS = "self-signed"
	d, tok := cliDaemonTLS(t, cfg)
	cert, _, err := httpapi.SelfSigned(dir)
	if err != nil {
		t.Fatal(err)
	}
	url := "https://" + d.addr()
	base := []string{"user", "list", "--url", url, "--token", tok}
	with := func(extra ...string) []string { return append(base[:len(base):len(base)], extra...) }
	if code, so, se := runCmd(with("--ca", filepath.Join(dir, httpapi.SelfSignedCertFile))...); code != 0 || !strings.HasPrefix(so, "UID") {
		t.Errorf("--ca: exit %d %s %s", code, so, se)
	}
	fp := httpapi.Fingerprint(cert)
	if code, so, se := runCmd(with("--fingerprint", fp)...); code != 0 {
		t.Errorf("--fingerprint %s: exit %d %s %s", fp, code, so, se)
	}
	t.Setenv("DOORD_FINGERPRINT", strings.ToLower(strings.ReplaceAll(fp, ":", "")))
	if code, so, se := runCmd(base...); code != 0 {
		t.Errorf("DOORD_FINGERPRINT without colons: exit %d %s %s", code, so, se)
	}
	t.Setenv("DOORD_FINGERPRINT", "")
	if code, _, se := runCmd(base...); code != exitFailed || !strings.Contains(se, "certificate") {
		t.Errorf("no trust: exit %d, stderr %q", code, se)
	}
	wrong := strings.Repeat("AB:", 31) + "AB"
	if code, _, se := runCmd(with("--fingerprint", wrong)...); code != exitFailed || !strings.Contains(se, "not the pinned one") {
		t.Errorf("wrong pin: exit %d, stderr %q", code, se)
	}
	// backup speaks the same client.
	bak := filepath.Join(t.TempDir(), "b.db")
	if code, so, se := runCmd("backup", "--out", bak, "--url", url, "--token", tok, "--fingerprint", fp); code != 0 {
		t.Errorf("backup over https with a pin: exit %d %s %s", code, so, se)
	}
}

// cliDaemonTLS is cliDaemon for a daemon that speaks HTTPS (login over
// it with the certificate trusted).
func cliDaemonTLS(t *testing.T, cfg Config) (*daemon, string) {
	t.Helper()
	d := startCLIDaemon(t, cfg)
	tc, err := clientTLS(filepath.Join(cfg.Data, httpapi.SelfSignedCertFile), "")
	if err != nil {
		t.Fatal(err)
	}
	return d, loginTLS(t, "https://"+d.addr(), tc)
}

func loginTLS(t *testing.T, base string, tc *tls.Config) string {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
	res, err := c.Post(base+"/api/v1/session", "application/json", strings.NewReader(`{"username":"admin","password":"cli test passphrase"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil || res.StatusCode != 201 {
		t.Fatalf("login: %d %v", res.StatusCode, err)
	}
	return m.Token
}
