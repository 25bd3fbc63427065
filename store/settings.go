package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// GetSetting reads a setting's raw value; ErrNotFound if absent.
func (s *Store) GetSetting(key string) ([]byte, error) {
	var v []byte
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSettings).Get([]byte(key))
		if b == nil {
			return ErrNotFound
		}
		v = bytes.Clone(b) // bbolt memory is only valid inside the tx
		return nil
	})
	return v, err
}

// PutSetting stores a setting. Its change record names the key (Change.Key)
// and carries no value: settings may be secrets.
func (s *Store) PutSetting(key string, val []byte) error {
	if key == "" {
		return &InvalidError{Field: "key", Reason: "empty"}
	}
	if err := checkLen("key", key); err != nil {
		return err
	}
	return s.write(false, func(w *wtx) error {
		if err := w.putRaw(bSettings, []byte(key), bytes.Clone(val)); err != nil {
			return err
		}
		return w.emit(Change{Kind: KindSetting, Key: key})
	})
}

// DeleteSetting removes a setting; ErrNotFound if absent.
func (s *Store) DeleteSetting(key string) error {
	return s.write(false, func(w *wtx) error {
		if w.b(bSettings).Get([]byte(key)) == nil {
			return ErrNotFound
		}
		if err := w.del(bSettings, []byte(key)); err != nil {
			return err
		}
		return w.emit(Change{Kind: KindSetting, Key: key, Deleted: true})
	})
}

// SettingsWithPrefix reads every setting whose key starts with prefix
// (one cursor seek and a walk of the matches).
func (s *Store) SettingsWithPrefix(prefix string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bSettings).Cursor()
		p := []byte(prefix)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			out[string(k)] = bytes.Clone(v)
		}
		return nil
	})
	return out, err
}
