package fleet

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Config is the `[fleet]` section of doord's config file. Fleet mode is
// on when URL is set; a controller on its own leaves the section out.
type Config struct {
	// URL is one NATS URL or a list of them (nats:// or tls://).
	URL          any    `toml:"url"`
	User         string `toml:"user"`
	Password     string `toml:"password"` // prefer password_file
	PasswordFile string `toml:"password_file"`
	Token        string `toml:"token"` // prefer token_file
	TokenFile    string `toml:"token_file"`
	Creds        string `toml:"creds"` // a NATS .creds file (JWT and nkey seed)
	// Site names the fleet: its bucket is doord_<site>.
	Site string `toml:"site"`
	// Controller is this controller's id, unique in the site.
	Controller string `toml:"controller"`
	// Groups are the door groups this controller's doors belong to (the
	// commands addressed to a group reach it; see README "Fleet").
	Groups []string `toml:"groups"`
	// RightsGroup is the door group an API write of a user's locks sets
	// the right of (native locks, BAS-IP lock_number); "" means the first
	// of Groups. Without Groups there are no door rights: a user's own
	// locks apply on every controller (README "Fleet").
	RightsGroup string `toml:"rights_group"`
	// GroupLocks says which of this controller's locks a group holds
	// ("both", "1" or "2"; a group left out holds both): a right in the
	// group opens only those here.
	GroupLocks map[string]string `toml:"group_locks"`
	// MaxOffline is how long the controller may go without the fleet
	// before OfflinePolicy applies ("24h"; "" means 24h).
	MaxOffline string `toml:"max_offline"`
	// OfflinePolicy is "keep" (default: go on deciding from the local
	// copy) or "deny_non_security" (past MaxOffline only users with
	// security: true are let in; see Restricter).
	OfflinePolicy string `toml:"offline_policy"`
}

// The offline policies.
const (
	PolicyKeep            = "keep"
	PolicyDenyNonSecurity = "deny_non_security"
)

// DefaultMaxOffline is MaxOffline when the config leaves it out.
const DefaultMaxOffline = 24 * time.Hour

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Enabled reports whether the section turns fleet mode on.
func (c Config) Enabled() bool { return c.URL != nil }

// URLs is URL as a list.
func (c Config) URLs() ([]string, error) {
	var out []string
	switch v := c.URL.(type) {
	case nil:
		return nil, nil
	case string:
		out = []string{v}
	case []any:
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, errors.New("fleet.url: every entry must be a string")
			}
			out = append(out, s)
		}
	case []string:
		out = v
	default:
		return nil, errors.New("fleet.url: a URL or a list of URLs")
	}
	if len(out) == 0 {
		return nil, errors.New("fleet.url: empty")
	}
	for _, u := range out {
		if !strings.HasPrefix(u, "nats://") && !strings.HasPrefix(u, "tls://") {
			return nil, fmt.Errorf("fleet.url: %q must start with nats:// or tls://", u)
		}
	}
	return out, nil
}

// Offline is MaxOffline parsed.
func (c Config) Offline() (time.Duration, error) {
	if c.MaxOffline == "" {
		return DefaultMaxOffline, nil
	}
	d, err := time.ParseDuration(c.MaxOffline)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("fleet.max_offline: %q is not a positive duration like 24h", c.MaxOffline)
	}
	return d, nil
}

// Validate checks the section; nil when fleet mode is off.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	if _, err := c.URLs(); err != nil {
		errs = append(errs, err)
	}
	if !nameRE.MatchString(c.Site) {
		errs = append(errs, fmt.Errorf("fleet.site: %q must be letters, digits, _ or - (and not empty)", c.Site))
	}
	if !nameRE.MatchString(c.Controller) {
		errs = append(errs, fmt.Errorf("fleet.controller: %q must be letters, digits, _ or - (and not empty)", c.Controller))
	}
	for _, g := range c.Groups {
		if !nameRE.MatchString(g) {
			errs = append(errs, fmt.Errorf("fleet.groups: %q must be letters, digits, _ or -", g))
		}
	}
	if _, err := c.Offline(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.validateRights()...)
	switch c.OfflinePolicy {
	case "", PolicyKeep, PolicyDenyNonSecurity:
	default:
		errs = append(errs, fmt.Errorf("fleet.offline_policy: %q must be %q or %q", c.OfflinePolicy, PolicyKeep, PolicyDenyNonSecurity))
	}
	n := 0
	for _, set := range []bool{c.User != "", c.Token != "" || c.TokenFile != "", c.Creds != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		errs = append(errs, errors.New("fleet: give one of user (with password or password_file), token (or token_file) or creds"))
	}
	if (c.Password != "" || c.PasswordFile != "") && c.User == "" {
		errs = append(errs, errors.New("fleet.password: needs fleet.user"))
	}
	return errors.Join(errs...)
}

// Bucket is the site's KV bucket.
func (c Config) Bucket() string { return "doord_" + c.Site }

// secret is an inline value or a file's first line.
func secret(inline, file, name string) (string, error) {
	if file == "" {
		return inline, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("fleet.%s_file: %w", name, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// Dial connects to the fleet's NATS servers. It never blocks the
// daemon's start: when no server answers it returns a connection that
// keeps trying (forever, with reconnectDelay between attempts), and the doors decide
// from the local store meanwhile.
func Dial(cfg Config) (*nats.Conn, error) { return dial(cfg) }

// dial is Dial with extra options after doord's (tests watch the
// reconnect delays through them).
func dial(cfg Config, extra ...nats.Option) (*nats.Conn, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	urls, _ := cfg.URLs()
	opts := []nats.Option{
		nats.Name("doord " + cfg.Site + "/" + cfg.Controller),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.CustomReconnectDelay(reconnectDelay), // reconnect.go; replaces ReconnectWait and its jitter
		nats.Timeout(5 * time.Second),
	}
	switch {
	case cfg.User != "":
		pw, err := secret(cfg.Password, cfg.PasswordFile, "password")
		if err != nil {
			return nil, err
		}
		opts = append(opts, nats.UserInfo(cfg.User, pw))
	case cfg.Token != "" || cfg.TokenFile != "":
		tok, err := secret(cfg.Token, cfg.TokenFile, "token")
		if err != nil {
			return nil, err
		}
		opts = append(opts, nats.Token(tok))
	case cfg.Creds != "":
		if _, err := os.Stat(cfg.Creds); err != nil {
			return nil, fmt.Errorf("fleet.creds: %w", err)
		}
		opts = append(opts, nats.UserCredentials(cfg.Creds))
	}
	nc, err := nats.Connect(strings.Join(urls, ","), append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	return nc, nil
}
