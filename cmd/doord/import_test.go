package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// doord import and export end to end against a running daemon: an
// import, a file with bad rows (listed with file:line: column, exit 1,
// nothing written), a dry run, and an export that re-imports with
// --mode replace as no change.
func TestImportAndExportCommands(t *testing.T) {
	t.Setenv("DOORD_ADMIN_PASSWORD", "import test passphrase")
	dir := t.TempDir()
	d, _ := start(t, testConfig(t, dir))
	defer d.stop()
	tok := login(t, d, "import test passphrase")
	t.Setenv("DOORD_URL", "http://"+d.addr())
	t.Setenv("DOORD_TOKEN", tok)
	files := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(files, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	people := write("people.csv", "ext_id,name,locks,cards,pins\nA-1,Ada,both,h10301:12/345,4711\nB-2,Bea,1,0x1F00A1,\n")
	code, so, se := runCmd("import", people)
	if code != 0 || !strings.Contains(so, "2 added, 0 changed, 0 removed, 0 unchanged") {
		t.Fatalf("import: exit %d\n%s%s", code, so, se)
	}

	bad := write("bad.csv", "ext_id,name,locks,cards\nC-3,Cy,both,12ab\nD-4,Di,9,\n")
	code, so, se = runCmd("import", bad, "--mode", "replace")
	if code != 1 || !strings.Contains(se, "bad.csv:2: cards: entry 1:") || !strings.Contains(se, "bad.csv:3: locks:") ||
		!strings.Contains(se, "2 rows have errors; nothing was written") {
		t.Fatalf("bad file: exit %d\nstdout %s\nstderr %s", code, so, se)
	}
	code, so, se = runCmd("import", "--dry-run", "--mode", "replace", write("one.csv", "ext_id,name\nA-1,Ada Lovelace\n"))
	if code != 0 || !strings.Contains(so, "dry run, nothing written") || !strings.Contains(so, "0 added, 1 changed, 1 removed, 0 unchanged") {
		t.Fatalf("dry run: exit %d\n%s%s", code, so, se)
	}

	for _, format := range []string{"csv", "ndjson"} {
		out := filepath.Join(files, "export."+format)
		if code, so, se := runCmd("export", "--format", format, "--out", out); code != 0 {
			t.Fatalf("export %s: exit %d\n%s%s", format, code, so, se)
		}
		data, _ := os.ReadFile(out)
		if !strings.Contains(string(data), "4711") {
			t.Errorf("an admin's %s export has no PIN:\n%s", format, data)
		}
		code, so, se := runCmd("import", "--mode", "replace", out)
		if code != 0 || !strings.Contains(so, "0 added, 0 changed, 0 removed, 2 unchanged") {
			t.Errorf("re-import of the %s export: exit %d\n%s%s", format, code, so, se)
		}
	}
	code, so, _ = runCmd("export")
	if code != 0 || !strings.HasPrefix(so, "ext_id,name,") || !strings.Contains(so, "A-1,Ada,") {
		t.Errorf("export to stdout: exit %d\n%s", code, so)
	}
	// A file over 1 MiB (more rows than one transaction: staged and
	// swapped) with --progress: the upload's progress on stderr. Not in
	// -short (the ARM runs under qemu, where it took a minute): the
	// client's progress is the same code everywhere, and store's
	// large-import tests run the staged path on ARM.
	if testing.Short() {
		return
	}
	var big strings.Builder
	big.WriteString("ext_id,name,locks,cards,pins\n")
	for i := range 20000 {
		fmt.Fprintf(&big, "P-%05d,Person number %d with a longer name,both,%d,%d\n", i, i, 7000000+i, 80000000+i)
	}
	code, so, se = runCmd("import", "--progress", "--mode", "replace", write("big.csv", big.String()))
	if code != 0 || !strings.Contains(so, "20000 added, 0 changed, 2 removed, 0 unchanged") ||
		!strings.Contains(se, "big.csv: sent 50%") || !strings.Contains(se, "the daemon is checking and writing it") {
		t.Errorf("import --progress: exit %d\nstdout %s\nstderr %s", code, so, se)
	}
}

func TestImportExportCommandLine(t *testing.T) {
	t.Setenv("DOORD_URL", "")
	t.Setenv("DOORD_TOKEN", "")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"import", "--help"}, 0, "usage: doord import FILE"},
		{[]string{"export", "--help"}, 0, "usage: doord export"},
		{[]string{"import"}, 2, "give exactly one FILE"},
		{[]string{"import", "x.csv", "--mode", "sync"}, 2, "--mode must be merge or replace"},
		{[]string{"import", "x.txt"}, 2, "say --format csv or ndjson"},
		{[]string{"import", "x.csv"}, 2, "--url"},
		{[]string{"export", "--format", "xml"}, 2, "--format must be csv or ndjson"},
		{[]string{"export", "--url", "http://127.0.0.1:1"}, 2, "--token"},
	} {
		code, so, se := runCmd(c.args...)
		if code != c.code || !strings.Contains(so+se, c.want) {
			t.Errorf("doord %s: exit %d, want %d with %q\n%s%s", strings.Join(c.args, " "), code, c.code, c.want, so, se)
		}
	}
}
