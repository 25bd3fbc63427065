package store

import (
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// Bucket names. Records live in one bucket per type keyed by big-endian
// uint64 id; every other bucket is an index written in the same
// transaction as its records (see index.go for what goes where).
var (
	bMeta = []byte("meta") // schema_version, seq, unknown_login_failures

	bUsers       = []byte("users")           // uid → User JSON
	bUserByID    = []byte("users_by_id")     // uuid → uid
	bUserByExtID = []byte("users_by_ext_id") // ext_id → uid
	bUserByName  = []byte("users_by_name")   // Str(lower(name)) uid → ""
	bUserByState = []byte("users_by_state")  // Str(state) uid → ""
	bUserByTag   = []byte("users_by_tag")    // Str(tag) uid → ""
	bUserByApt   = []byte("users_by_apt")    // apt uid → ""
	bUserByTP    = []byte("users_by_tp")     // tp uid → ""

	bCreds       = []byte("credentials")          // id → Credential JSON
	bCredByValue = []byte("credentials_by_value") // Str(type) value → id
	bCredByUser  = []byte("credentials_by_user")  // uid id → ""
	bCredByTP    = []byte("credentials_by_tp")    // tp id → ""
	bCredByApt   = []byte("credentials_by_apt")   // apt id → "" (schema 3)

	bTimeProfiles = []byte("time_profiles")      // id → TimeProfile JSON
	bApartments   = []byte("apartments")         // id → Apartment JSON
	bAptByAddr    = []byte("apartments_by_addr") // Addr → id

	bOperators    = []byte("operators")             // id → Operator JSON
	bOpByUsername = []byte("operators_by_username") // username → id
	bSessions     = []byte("sessions")              // token hash → Session JSON
	bSessByOp     = []byte("sessions_by_operator")  // op id, hash → ""

	bSettings = []byte("settings") // key → value

	// The event log (events.go): a ring of records under their event seq
	// (the bucket's own sequence), and postings Str(value) seq → "".
	bEvents       = []byte("events")         // seq → compact Event
	bEventsByType = []byte("events_by_type") // Str(type) seq → ""
	bEventsByDoor = []byte("events_by_door") // Str(door) seq → ""
	bEventsByUser = []byte("events_by_user") // Str(user_id) seq, Str("#"+uid) seq → ""
)

var (
	kSchemaVersion = []byte("schema_version")
	kSeq           = []byte("seq")
)

// schemaV1 is every bucket of schema version 1.
var schemaV1 = [][]byte{
	bMeta,
	bUsers, bUserByID, bUserByExtID, bUserByName, bUserByState, bUserByTag, bUserByApt, bUserByTP,
	bCreds, bCredByValue, bCredByUser, bCredByTP,
	bTimeProfiles, bApartments, bAptByAddr,
	bOperators, bOpByUsername, bSessions, bSessByOp,
	bSettings,
	bEvents, bEventsByType, bEventsByDoor, bEventsByUser,
}

// migration brings a file from version to-1 to version to. All pending
// migrations run in one transaction at Open: a crash or error leaves the
// file at its old version, never half-migrated.
type migration struct {
	to int
	fn func(*bolt.Tx) error
	// pre, when set, runs before the migrations' transaction, in
	// transactions of its own, so that rewriting a million records does
	// not hold them all dirty in one (a 512 MB board). It must be
	// idempotent and leave a file that the old version reads the same; fn
	// then finishes (and checks) in the one transaction.
	pre func(*bolt.DB) error
}

// migrations is ordered by to, starting at 1; the last entry's to is the
// version this binary writes. A var (not const table) so tests can append.
var migrations = []migration{
	{to: 1, fn: func(tx *bolt.Tx) error {
		for _, name := range schemaV1 {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	}},
	{to: 2, fn: migrateExplicitAccess, pre: preMigrateExplicitAccess},
	{to: 3, fn: migrateUserless},
	// Schema 4 writes users and credentials in the binary record codec
	// (recordcodec.go). Records of before stay as they are and are still
	// read (each is rewritten binary when it next changes); the version
	// is what makes an older doord refuse the file instead of reading
	// binary records as corrupt.
	{to: 4, fn: func(*bolt.Tx) error { return nil }},
}

// currentVersion is the schema version this binary writes.
func currentVersion() int { return migrations[len(migrations)-1].to }

func readVersion(tx *bolt.Tx) (int, error) {
	b := tx.Bucket(bMeta)
	if b == nil {
		return 0, nil // a new file
	}
	v := b.Get(kSchemaVersion)
	if v == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return 0, fmt.Errorf("meta schema_version %q: %w", v, err)
	}
	return n, nil
}

// schemaError is the exact message an operator sees when a file was
// written by a newer doord (downgrades are not supported).
type schemaError struct{ file, bin int }

func (e *schemaError) Error() string {
	return fmt.Sprintf("database schema version %d is newer than this doord supports (%d); upgrade doord", e.file, e.bin)
}
func (e *schemaError) Unwrap() error { return ErrSchemaTooNew }

// migrate runs every migration above the file's version in one
// transaction and returns the resulting version. An up-to-date file is
// only read, so a plain Open costs no write.
func migrate(db *bolt.DB) (int, error) {
	var v int
	if err := db.View(func(tx *bolt.Tx) (err error) { v, err = readVersion(tx); return err }); err != nil {
		return 0, err
	}
	cur := currentVersion()
	if v > cur {
		return 0, &schemaError{file: v, bin: cur}
	}
	if v == cur {
		return v, nil
	}
	for _, m := range migrations {
		if m.to > v && m.pre != nil {
			if err := m.pre(db); err != nil {
				return 0, fmt.Errorf("migrate to schema version %d: %w", m.to, err)
			}
		}
	}
	err := db.Update(func(tx *bolt.Tx) error {
		v, err := readVersion(tx)
		if err != nil {
			return err
		}
		for _, m := range migrations {
			if m.to <= v {
				continue
			}
			if err := m.fn(tx); err != nil {
				return fmt.Errorf("migrate to schema version %d: %w", m.to, err)
			}
			v = m.to
		}
		meta, err := tx.CreateBucketIfNotExists(bMeta)
		if err != nil {
			return err
		}
		return meta.Put(kSchemaVersion, []byte(strconv.Itoa(v)))
	})
	if err != nil {
		return 0, err
	}
	return cur, nil
}
