package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// Operators' TOTP secrets are sealed (AES-256-GCM) with a key that lives
// in a file of its own beside the database, never in it: a copied
// doord.db, or a backup of it, holds no usable second factor. The key file
// (DATA/doord.key, mode 0600) is made at the first Open. The sealed form
// is totpSealed + base64(nonce ‖ ciphertext), with the operator id as
// additional data so that a sealed secret moved to another operator's
// record does not open. Operator records are sealed in putOperator and
// opened in getOperator; everything above the store sees the clear
// secret.
//
// A secret that does not open (the file was copied without its key, or
// the key file was replaced) is kept in its sealed form: it matches no
// code, so that operator's two-factor login fails until an admin resets
// it. It never reads as empty, which would turn the second factor off.

const (
	totpSealed  = "sealed:v1:"
	keyFileName = "doord.key"
	keyLen      = 32
)

// loadKey reads the key file, making it (0600, synced) when absent.
func loadKey(path string) (cipher.AEAD, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key, err = makeKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("secret key %s: %w", path, err)
	}
	if len(key) != keyLen {
		return nil, fmt.Errorf("secret key %s: %d bytes, want %d (restore the key file that belongs to this store, or remove it and re-enrol two-factor login)", path, len(key), keyLen)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func makeKey(path string) ([]byte, error) {
	key := make([]byte, keyLen)
	if _, err := io.ReadFull(rand.Reader, key); err != nil {
		return nil, err
	}
	return key, WriteNewFile(path, key)
}

// WriteNewFile creates path, which must not exist, with mode 0600 and
// data, and syncs it and its directory: after a crash the file is either
// absent or whole. For keys and certificates made on first start.
func WriteNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		var d *os.File
		if d, err = os.Open(filepath.Dir(path)); err == nil {
			err = d.Sync()
			d.Close()
		}
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

func (s *Store) sealTOTP(id uint64, secret string) string {
	if secret == "" || strings.HasPrefix(secret, totpSealed) {
		return secret // nothing, or a secret that did not open: kept as it is
	}
	nonce := make([]byte, s.box.NonceSize(), s.box.NonceSize()+len(secret)+s.box.Overhead())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		panic("doord: no randomness for a nonce: " + err.Error()) // crypto/rand does not fail on Linux
	}
	return totpSealed + base64.RawStdEncoding.EncodeToString(s.box.Seal(nonce, nonce, []byte(secret), keys.U64(id)))
}

// openTOTP returns the clear secret, or stored itself when it is not
// sealed (a file not yet migrated) or does not open with this key.
func (s *Store) openTOTP(id uint64, stored string) string {
	b64, ok := strings.CutPrefix(stored, totpSealed)
	if !ok {
		return stored
	}
	b, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(b) < s.box.NonceSize() {
		return stored
	}
	n := s.box.NonceSize()
	clear, err := s.box.Open(nil, b[:n], b[n:], keys.U64(id))
	if err != nil {
		return stored
	}
	return string(clear)
}

// getOperator reads operator k with its secret opened.
func (s *Store) getOperator(b *bolt.Bucket, k []byte) (Operator, error) {
	o, err := getJSON[Operator](b, k)
	if err == nil {
		o.TOTPSecret = s.openTOTP(o.ID, o.TOTPSecret)
	}
	return o, err
}

// sealClearSecrets seals the secrets a file from before sealing holds in
// clear, in one transaction at Open.
func (s *Store) sealClearSecrets() error {
	return s.write(false, func(w *wtx) error {
		var clear []Operator // bbolt forbids writes inside ForEach
		w.b(bOperators).ForEach(func(k, v []byte) error {
			o, err := decode[Operator](k, v)
			if err == nil && o.TOTPSecret != "" && !strings.HasPrefix(o.TOTPSecret, totpSealed) {
				clear = append(clear, o)
			} // a bad record is Check's to report
			return nil
		})
		for _, o := range clear {
			o.TOTPSecret = s.sealTOTP(o.ID, o.TOTPSecret)
			if err := w.put(bOperators, keys.U64(o.ID), &o); err != nil {
				return err
			}
		}
		return nil
	})
}
