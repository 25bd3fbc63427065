package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/board/fault"
	"github.com/doord/doord/store"
)

const adminPasswordFile = "admin-password"

// bootstrapAdmin creates the operator "admin" when the store has no
// operators. There is no default password: it comes from
// DOORD_ADMIN_PASSWORD, or is generated, written to a 0600 file in the data
// directory and returned so the caller prints it (after the API listens).
// A generated password must be changed at first login
// (force_password_change): it has been on a console and in a file.
//
// When the store already has operators it returns the generated password
// again while it is still of use: the file exists, "admin" still has it
// and has not changed it yet. A first start that failed after creating the
// admin (the port was taken, say) thus shows the hint again on the next
// start instead of leaving the installer with no way in. Otherwise it
// returns "".
func bootstrapAdmin(st *store.Store, dataDir, fromEnv string) (string, error) {
	n, err := st.CountOperators()
	if err != nil {
		return "", err
	}
	if n > 0 {
		return pendingAdminPassword(st, dataDir), nil
	}
	pw, generated := fromEnv, false
	if pw == "" {
		pw, generated = auth.GeneratePassword(), true
	} else if err := auth.CheckPasswordPolicy(pw); err != nil {
		return "", fmt.Errorf("DOORD_ADMIN_PASSWORD: %w", err)
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return "", err
	}
	if generated {
		// Written before the operator exists: if the write fails, nothing was
		// created and the next start tries again with a fresh password.
		path := filepath.Join(dataDir, adminPasswordFile)
		if err := writeSecretFile(path, pw+"\n"); err != nil {
			return "", fmt.Errorf("writing the first admin password: %w", err)
		}
	}
	now := time.Now().UTC()
	op := store.Operator{Username: "admin", PasswordHash: hash, Role: store.RoleAdmin, Enabled: true,
		CreatedAt: now, UpdatedAt: now, CreatedBy: "doord", UpdatedBy: "doord"}
	op.ForcePasswordChange = generated
	if err := st.CreateOperator(&op); err != nil {
		return "", err
	}
	if !generated {
		return "", nil
	}
	return pw, nil
}

// adminBootstrap is bootstrapAdmin running on a goroutine of its own.
type adminBootstrap struct {
	done chan struct{}
	pw   string
	err  error
}

// startBootstrapAdmin runs bootstrapAdmin beside the rest of the start;
// wait returns its result (a panic in it is an error, not a crash).
func startBootstrapAdmin(st *store.Store, dataDir, fromEnv string) *adminBootstrap {
	b := &adminBootstrap{done: make(chan struct{})}
	go func() {
		defer close(b.done)
		defer func() {
			if v := recover(); v != nil {
				b.err = fmt.Errorf("creating the first admin: panic: %s", fault.Describe(v))
			}
		}()
		b.pw, b.err = bootstrapAdmin(st, dataDir, fromEnv)
	}()
	return b
}

func (b *adminBootstrap) wait() (string, error) {
	<-b.done
	return b.pw, b.err
}

// pendingAdminPassword is the generated first password from the data
// directory's file, if "admin" still has it and must still change it; ""
// otherwise (no file, or it no longer opens anything: then it is only a
// file to delete).
func pendingAdminPassword(st *store.Store, dataDir string) string {
	b, err := os.ReadFile(filepath.Join(dataDir, adminPasswordFile))
	if err != nil {
		return ""
	}
	pw := strings.TrimSpace(string(b))
	op, err := st.GetOperatorByUsername("admin")
	if err != nil || !op.ForcePasswordChange || pw == "" {
		return ""
	}
	if ok, _ := auth.VerifyPassword(op.PasswordHash, pw); !ok {
		return ""
	}
	return pw
}

// writeSecretFile writes a file readable by its owner only, durably.
func writeSecretFile(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil { // an older file may have had wider modes
		f.Close()
		return err
	}
	if _, err := io.WriteString(f, content); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func printFirstLogin(w io.Writer, addr, dataDir, pw string) {
	fmt.Fprintf(w, `
doord: first start. Created the operator "admin" with the password:

    %s

It is also in %s (mode 0600); until it is changed,
every start shows this again. Sign in at the web console, http://%s/
(it asks for your own password at once), or over the API: log in,
then set your own password with the token you get (the answer carries a
new token; the old one ends):

    curl -s -X POST http://%s/api/v1/session \
      -H 'Content-Type: application/json' \
      -d '{"username":"admin","password":"%s"}'

    curl -s -X POST http://%s/api/v1/operators/me/password \
      -H 'Authorization: Bearer <token>' -H 'Content-Type: application/json' \
      -d '{"current_password":"%s","new_password":"<your own, 12 characters or more>"}'

Then delete that file.

`, pw, filepath.Join(dataDir, adminPasswordFile), addr, addr, pw, addr, pw)
}
