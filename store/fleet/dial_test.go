package fleet

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/doord/doord/store/fleet/natstest"
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
