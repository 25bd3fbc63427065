package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/doord/doord/board"
	"github.com/doord/doord/store/autobackup"
	"github.com/doord/doord/store/fleet"
	"github.com/pelletier/go-toml/v2"
)

// duration reads "10s", "1m30s" from TOML.
type duration struct{ time.Duration }

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 10s or 1m", b)
	}
	d.Duration = v
	return nil
}

// Config is the daemon's config file. Flags override Listen and Data.
type Config struct {
	Listen    string          `toml:"listen"`
	Data      string          `toml:"data"`
	LogLevel  string          `toml:"log_level"`
	LogFormat string          `toml:"log_format"`
	HTTP      HTTPConfig      `toml:"http"`
	Login     LoginConfig     `toml:"login"`
	Board     board.Config    `toml:"board"`
	Access    AccessConfig    `toml:"access"`
	Events    EventsConfig    `toml:"events"`
	Backup    BackupConfig    `toml:"backup"`
	Metrics   MetricsConfig   `toml:"metrics"`
	BASIP     BASIPConfig     `toml:"basip"`
	Fleet     fleet.Config    `toml:"fleet"`
	Doors     []DoorRuntime   `toml:"doors"`
	Readers   []ReaderRuntime `toml:"readers"`

	// The file it was read from, for validate's line numbers.
	srcPath string
	src     []byte
}

// HTTPConfig bounds the management API so that a flood of requests cannot
// starve the board (and with it the doors) of memory or CPU.
type HTTPConfig struct {
	MaxBodyBytes  int      `toml:"max_body_bytes"`
	ReadTimeout   duration `toml:"read_timeout"`
	WriteTimeout  duration `toml:"write_timeout"`
	IdleTimeout   duration `toml:"idle_timeout"`
	MaxConnsPerIP int      `toml:"max_conns_per_ip"`
	Concurrency   int      `toml:"concurrency"`
	TokenTTL      duration `toml:"token_ttl"`

	// MaxImportBytes caps an import file (POST /api/v1/import), which
	// is held in memory while it is imported; 0 means 128 MiB.
	MaxImportBytes int `toml:"max_import_bytes"`
	// TLS (tls.go): "self-signed", or the installer's tls_cert/tls_key.
	TLS         string `toml:"tls"`
	TLSCert     string `toml:"tls_cert"`
	TLSKey      string `toml:"tls_key"`
	PlainListen string `toml:"plain_listen"` // with TLS: plain HTTP here too
	Plain       string `toml:"plain"`        // what plain_listen answers: "health" (default) or "all"
}

// EventsConfig sizes the event log ring.
type EventsConfig struct {
	Capacity int `toml:"capacity"` // events kept; the oldest are dropped beyond it; 0 = store.DefaultEventCapacity
}

// BackupConfig schedules local backups (store/autobackup). Off while Dir
// is empty.
type BackupConfig struct {
	Dir   string   `toml:"dir"`   // where backups go, e.g. "data/backups"; "" = no scheduled backups
	Every duration `toml:"every"` // 24h
	Keep  int      `toml:"keep"`  // good backups kept; 7
}

// withDefaults fills the unset keys.
func (b BackupConfig) withDefaults() BackupConfig {
	if b.Every.Duration == 0 {
		b.Every.Duration = 24 * time.Hour
	}
	if b.Keep == 0 {
		b.Keep = 7
	}
	return b
}

// LoginConfig is the operator lockout policy (Appgate's defaults: 5
// failures lock for 1 minute).
type LoginConfig struct {
	LockoutThreshold *int     `toml:"lockout_threshold"`
	LockoutDuration  duration `toml:"lockout_duration"`
	// MaxSessions is how many live sessions one operator may hold (native
	// and BAS-IP together); a new login ends the oldest beyond it. 16.
	MaxSessions int `toml:"max_sessions_per_operator"`
}

func defaultConfig() Config {
	return Config{Listen: "127.0.0.1:8080", Data: "data", LogLevel: "info", LogFormat: "text"}
}

// loadConfig reads path (TOML) over the defaults. Unknown keys are errors:
// a misspelt key in a door controller's config must not be silently ignored.
func loadConfig(path string) (Config, error) {
	cfg := defaultConfig()
	if path == "" {
		return cfg, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		var se *toml.StrictMissingError
		if errors.As(err, &se) {
			var keys []string
			for _, e := range se.Errors {
				row, col := e.Position()
				keys = append(keys, fmt.Sprintf("%s:%d:%d: unknown key %s", path, row, col, strings.Join(e.Key(), ".")))
			}
			return cfg, fmt.Errorf("config: %s\n%s", strings.Join(keys, "\n"), strings.TrimSpace(se.String()))
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return cfg, fmt.Errorf("config %s:%d:%d: %s", path, row, col, de.Error())
		}
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	cfg.accessDefaults()
	cfg.srcPath, cfg.src = path, b
	return cfg, nil
}

// validate checks everything that is not the board's (the board validates
// its own section) and reports all problems at once.
func (c *Config) validate() error {
	var errs []string
	if c.Listen == "" {
		errs = append(errs, "listen: must be an address like 127.0.0.1:8080")
	}
	if c.Data == "" {
		errs = append(errs, "data: must name a directory")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, "log_level: must be debug, info, warn or error")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, "log_format: must be text or json")
	}
	if c.HTTP.MaxBodyBytes < 0 || c.HTTP.MaxBodyBytes > 64<<20 {
		errs = append(errs, "http.max_body_bytes: must be from 0 (default 1 MiB) to 67108864")
	}
	if c.HTTP.MaxImportBytes < 0 || c.HTTP.MaxImportBytes > 1<<30 {
		errs = append(errs, "http.max_import_bytes: must be from 0 (default 128 MiB) to 1073741824")
	}
	if b := c.Backup.withDefaults(); b.Dir != "" {
		if err := (autobackup.Options{Dir: b.Dir, Every: b.Every.Duration, Keep: b.Keep}).Validate(); err != nil {
			errs = append(errs, strings.Split(err.Error(), "\n")...)
		}
	}
	if c.Events.Capacity < 0 {
		errs = append(errs, "events.capacity: must be 0 (the default: 1,000,000, or 200,000 on a 32-bit board) or more")
	}
	if t := c.Login.LockoutThreshold; t != nil && *t < 0 {
		errs = append(errs, "login.lockout_threshold: must be 0 (off) or more")
	}
	if c.Login.MaxSessions < 0 {
		errs = append(errs, "login.max_sessions_per_operator: must be 0 (default 16) or more")
	}
	if c.Board.Kind == "" {
		// No board: the API alone, e.g. a management-only test instance.
	} else if err := c.Board.Validate(); err != nil {
		errs = append(errs, "board: "+err.Error())
	}
	errs = append(errs, c.HTTP.validateTLS()...)
	errs = append(errs, c.validateAccess()...)
	errs = append(errs, c.Metrics.validate()...)
	errs = append(errs, c.validateBASIP()...)
	if err := c.Fleet.Validate(); err != nil {
		errs = append(errs, strings.Split(err.Error(), "\n")...)
	}
	if len(errs) > 0 {
		if c.src != nil {
			errs = annotate(c.srcPath, c.src, errs)
		}
		return errors.New("invalid config:\n  " + strings.Join(errs, "\n  "))
	}
	return nil
}
