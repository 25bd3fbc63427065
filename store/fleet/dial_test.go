package fleet

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/doord/doord/store/fleet/natstest"
	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

// Dial authenticates with what [fleet] gives: a token from token_file
// (or token) or a user with password_file (or password), against a
// nats-server that requires it; a wrong secret leaves it unconnected.
func TestDialWithTokenAndPasswordFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tokenSrv := natstest.Run(t, &natstest.Options{ConfigFile: write("token.conf", "authorization { token: \"tok-example-1\" }\n")})
	userSrv := natstest.Run(t, &natstest.Options{ConfigFile: write("user.conf", "authorization { users: [ { user: door-a, password: \"pw-example-1\" } ] }\n")})
	base := func(url string) Config { return Config{URL: url, Site: "s", Controller: "c"} }
	for _, tc := range []struct {
		name string
		cfg  func(c Config) Config
		ok   bool
	}{
		{"token_file", func(c Config) Config {
			c.URL = tokenSrv.ClientURL()
			c.TokenFile = write("tok", "tok-example-1\n")
			return c
		}, true},
		{"token", func(c Config) Config { c.URL = tokenSrv.ClientURL(); c.Token = "tok-example-1"; return c }, true},
		{"wrong token", func(c Config) Config { c.URL = tokenSrv.ClientURL(); c.Token = "nope"; return c }, false},
		{"password_file", func(c Config) Config {
			c.URL, c.User, c.PasswordFile = userSrv.ClientURL(), "door-a", write("pw", "pw-example-1\n")
			return c
		}, true},
		{"wrong password", func(c Config) Config { c.URL, c.User, c.Password = userSrv.ClientURL(), "door-a", "nope"; return c }, false},
	} {
		// Dial retries a failed first connect in the background (a
		// controller starts before its server): connected or not is
		// known when it returns.
		nc, err := Dial(tc.cfg(base("")))
		connected := err == nil && nc.IsConnected()
		if nc != nil {
			nc.Close()
		}
		if connected != tc.ok {
			t.Errorf("%s: Dial: %v, connected %v, want %v", tc.name, err, connected, tc.ok)
		}
	}
}

// TestDialWithCredsFile: [fleet] creds (a NATS .creds file: a user JWT
// and its nkey seed) connects to a server in operator mode that trusts
// the user's account, and a .creds file of an account it does not know
// does not.
func TestDialWithCredsFile(t *testing.T) {
	dir := t.TempDir()
	must := func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	key := func(create func() (nkeys.KeyPair, error)) (nkeys.KeyPair, string) {
		kp, err := create()
		if err != nil {
			t.Fatal(err)
		}
		return kp, must(kp.PublicKey())
	}
	operator, opk := key(nkeys.CreateOperator)
	// creds is a .creds file of a user of a new account signed by the
	// operator, and the account's public key and JWT.
	creds := func(name string) (file, apk, ajwt string) {
		account, apk := key(nkeys.CreateAccount)
		ajwt = must(jwt.NewAccountClaims(apk).Encode(operator))
		user, upk := key(nkeys.CreateUser)
		ujwt := must(jwt.NewUserClaims(upk).Encode(account))
		seed, err := user.Seed()
		if err != nil {
			t.Fatal(err)
		}
		body, err := jwt.FormatUserConfig(ujwt, seed)
		if err != nil {
			t.Fatal(err)
		}
		file = filepath.Join(dir, name+".creds")
		if err := os.WriteFile(file, body, 0o600); err != nil {
			t.Fatal(err)
		}
		return file, apk, ajwt
	}
	known, apk, ajwt := creds("known")
	unknown, _, _ := creds("unknown") // its account is not in the server's resolver
	conf := filepath.Join(dir, "operator.conf")
	body := fmt.Sprintf("operator: %q\nresolver: MEMORY\nresolver_preload: { %s: %q }\n",
		must(jwt.NewOperatorClaims(opk).Encode(operator)), apk, ajwt)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := natstest.Run(t, &natstest.Options{ConfigFile: conf})
	for _, tc := range []struct {
		name, creds string
		ok          bool
	}{{"creds of a trusted account", known, true}, {"creds of an unknown account", unknown, false}} {
		nc, err := Dial(Config{URL: srv.ClientURL(), Site: "s", Controller: "c", Creds: tc.creds})
		connected := err == nil && nc.IsConnected()
		if nc != nil {
			nc.Close()
		}
		if connected != tc.ok {
			t.Errorf("%s: Dial: %v, connected %v, want %v", tc.name, err, connected, tc.ok)
		}
	}
}
