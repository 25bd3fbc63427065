package fleet

import (
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// The [fleet] section: off when absent, one URL or a list, and every bad
// field named in the error.
func TestConfig(t *testing.T) {
	var off Config
	if off.Enabled() || off.Validate() != nil {
		t.Fatal("an absent section must be off and valid")
	}
	var c struct{ Fleet Config }
	err := toml.Unmarshal([]byte(`[fleet]
url = ["nats://10.0.0.5:4222", "tls://10.0.0.6:4222"]
site = "campus"
controller = "bldg1-east"
groups = ["bldg1", "lobby"]
max_offline = "2h"
offline_policy = "deny_non_security"
`), &c)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Fleet.Validate(); err != nil {
		t.Fatal(err)
	}
	urls, _ := c.Fleet.URLs()
	if len(urls) != 2 || c.Fleet.Bucket() != "doord_campus" {
		t.Errorf("urls %v bucket %s", urls, c.Fleet.Bucket())
	}
	if d, _ := c.Fleet.Offline(); d != 2*time.Hour {
		t.Errorf("max_offline %v", d)
	}
	bad := Config{URL: "http://x", Site: "a b", Controller: "", Groups: []string{"x.y"}, MaxOffline: "soon",
		OfflinePolicy: "open", User: "u", Token: "t", Password: "p"}
	msg := bad.Validate().Error()
	for _, want := range []string{"fleet.url", "fleet.site", "fleet.controller", "fleet.groups", "fleet.max_offline", "fleet.offline_policy", "give one of"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not name %s:\n%s", want, msg)
		}
	}
	if err := (Config{URL: "nats://x:4222", Site: "s", Controller: "c", Password: "p"}).Validate(); err == nil || !strings.Contains(err.Error(), "needs fleet.user") {
		t.Errorf("a password without a user: %v", err)
	}
}
