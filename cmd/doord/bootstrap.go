package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/store"
)

const adminPasswordFile = "admin-password"

// bootstrapAdmin creates the operator "admin" when the store has no
// operators. There is no default password: it comes from
// DOORD_ADMIN_PASSWORD, or is generated, written to a 0600 file in the data
// directory and returned so the caller prints it once. It returns "" when
// nothing was generated.
func bootstrapAdmin(st *store.Store, dataDir, fromEnv string) (string, error) {
	n, err := st.CountOperators()
	if err != nil {
		return "", err
	}
	if n > 0 {
		return "", nil
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
	if err := st.CreateOperator(&op); err != nil {
		return "", err
	}
	if !generated {
		return "", nil
	}
	return pw, nil
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

It is also in %s (mode 0600); delete that file once you have logged in.
Log in:

    curl -s -X POST http://%s/api/v1/session \
      -H 'Content-Type: application/json' \
      -d '{"username":"admin","password":"%s"}'

`, pw, filepath.Join(dataDir, adminPasswordFile), addr, pw)
}
