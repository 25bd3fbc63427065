package store

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/doord/doord/store/internal/index"
	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// Settings the BAS-IP dialect kept before schema 3, when a credential had
// to belong to a user: a disabled holding user for identifiers without
// one, and for an identifier moved between users (deleted and created
// again under a new id) its first id ↔ its current id.
const (
	legacyHoldingUser = "basip.holding_user"
	legacyIdentFwd    = "basip.ident."     // first id → current id
	legacyIdentRev    = "basip.ident_uid." // current id → first id
)

// migrateUserless (schema 2 → 3) makes credentials without a user native
// (Credential.UserUID 0, Credential.Apartment, the credentials_by_apt
// index) and converts what the BAS-IP dialect built to get by without
// them:
//
//   - A moved identifier takes back the id BAS-IP clients know it by (its
//     first id, free since its delete), so that its uid and its native id
//     are one again; its alias settings go.
//   - The holding user's credentials become credentials without a user
//     (they keep their ids, fields and passes); the holding user and its
//     setting go.
//
// It runs in the migrations' one transaction: a crash leaves the schema 2
// file as it was. The holding user held BAS-IP's identifiers only, a few
// thousand at most, so there is no chunked pre-pass.
func migrateUserless(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bCredByApt); err != nil {
		return fmt.Errorf("create bucket %s: %w", bCredByApt, err)
	}
	if err := renumberMoved(tx); err != nil {
		return fmt.Errorf("moved identifiers: %w", err)
	}
	if err := dissolveHoldingUser(tx); err != nil {
		return fmt.Errorf("holding user: %w", err)
	}
	return nil
}

// renumberMoved gives each moved identifier its first id back and drops
// every alias setting.
func renumberMoved(tx *bolt.Tx) error {
	settings := tx.Bucket(bSettings)
	type alias struct{ key, first, cur []byte }
	var aliases []alias
	var drop [][]byte
	c := settings.Cursor()
	for k, v := c.Seek([]byte(legacyIdentFwd)); k != nil && bytes.HasPrefix(k, []byte(legacyIdentFwd)); k, v = c.Next() {
		aliases = append(aliases, alias{bytes.Clone(k), bytes.Clone(k[len(legacyIdentFwd):]), bytes.Clone(v)})
	}
	for k, _ := c.Seek([]byte(legacyIdentRev)); k != nil && bytes.HasPrefix(k, []byte(legacyIdentRev)); k, _ = c.Next() {
		drop = append(drop, bytes.Clone(k))
	}
	creds := tx.Bucket(bCreds)
	for _, a := range aliases {
		drop = append(drop, a.key)
		first, err1 := strconv.ParseUint(string(a.first), 10, 64)
		cur, err2 := strconv.ParseUint(string(a.cur), 10, 64)
		if err1 != nil || err2 != nil || first == 0 || first == cur {
			continue
		}
		data := creds.Get(keys.U64(cur))
		if data == nil || creds.Get(keys.U64(first)) != nil {
			continue // deleted since, or the first id taken: it keeps its id
		}
		old, err := decodeCredential(cur, data)
		if err != nil {
			return fmt.Errorf("credential %d: %w", cur, err)
		}
		n := cloneCredential(&old)
		n.ID = first
		enc, err := encodeCredential(&n)
		if err != nil {
			return err
		}
		if err := creds.Delete(keys.U64(cur)); err != nil {
			return err
		}
		if err := creds.Put(keys.U64(first), enc); err != nil {
			return err
		}
		if err := index.Replace(tx, credEntries(&old), credEntries(&n)); err != nil {
			return fmt.Errorf("credential %d → %d: %w", cur, first, err)
		}
	}
	for _, k := range drop {
		if err := settings.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// dissolveHoldingUser makes the holding user's credentials credentials
// without a user and deletes the holding user and its setting.
func dissolveHoldingUser(tx *bolt.Tx) error {
	settings := tx.Bucket(bSettings)
	v := settings.Get([]byte(legacyHoldingUser))
	if v == nil {
		return nil
	}
	hold, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil || hold == 0 {
		return settings.Delete([]byte(legacyHoldingUser))
	}
	creds := tx.Bucket(bCreds)
	for _, id := range index.IDs(tx.Bucket(bCredByUser), keys.U64(hold)) {
		old, err := decodeCredential(id, creds.Get(keys.U64(id)))
		if err != nil {
			return fmt.Errorf("credential %d: %w", id, err)
		}
		n := cloneCredential(&old)
		n.UserUID = 0
		enc, err := encodeCredential(&n)
		if err != nil {
			return err
		}
		if err := creds.Put(keys.U64(id), enc); err != nil {
			return err
		}
		if err := index.Replace(tx, credEntries(&old), credEntries(&n)); err != nil {
			return fmt.Errorf("credential %d: %w", id, err)
		}
	}
	users := tx.Bucket(bUsers)
	if data := users.Get(keys.U64(hold)); data != nil {
		u, err := decodeUser(hold, data)
		if err != nil {
			return fmt.Errorf("user %d: %w", hold, err)
		}
		if err := users.Delete(keys.U64(hold)); err != nil {
			return err
		}
		if err := index.Delete(tx, userEntries(&u)); err != nil {
			return fmt.Errorf("user %d: %w", hold, err)
		}
	}
	return settings.Delete([]byte(legacyHoldingUser))
}
