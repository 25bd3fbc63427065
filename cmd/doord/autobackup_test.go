package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/autobackup"
)

func TestBackupConfigDefaultsAndValidation(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(p, []byte("[backup]\ndir = \"/var/backups/doord\"\n"), 0o600)
	cfg, err := loadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	if b := cfg.Backup.withDefaults(); b.Every.Duration != 24*time.Hour || b.Keep != 7 {
		t.Errorf("defaults every %v keep %d, want 24h and 7", b.Every, b.Keep)
	}
	bad := defaultConfig()
	bad.Backup = BackupConfig{Dir: "b", Every: duration{time.Second}, Keep: -1}
	err = bad.validate()
	for _, want := range []string{"backup.every", "backup.keep"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validate: %v lacks %s", err, want)
		}
	}
}

// With backup.dir set the daemon takes backups that verify against its
// own key and restore to a store holding what was written before them.
func TestDaemonTakesScheduledBackups(t *testing.T) {
	data := t.TempDir()
	cfg := testConfig(t, data)
	cfg.Backup.Dir = filepath.Join(data, "backups")
	d, _ := start(t, cfg)
	if d.backups == nil {
		t.Fatal("backup.dir set, but no scheduler runs")
	}
	u := store.User{Name: "Backed Up", Locks: store.LocksBoth, State: store.StateActive}
	if _, err := d.st.CreateUser(&u, "test"); err != nil {
		t.Fatal(err)
	}
	b, err := d.backups.Once(time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	bs, err := autobackup.Backups(cfg.Backup.Dir)
	if err != nil || len(bs) == 0 || bs[0].Path != b.Path {
		t.Fatalf("backups %v (%v), want the newest to be %s", bs, err, b.Path)
	}
	live := filepath.Join(data, "doord.db")
	if _, err := store.Restore(b.Path, live, store.Options{}); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(live, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.GetUserByUID(u.UID); err != nil {
		t.Errorf("restored backup lacks the user written before it: %v", err)
	}
}
