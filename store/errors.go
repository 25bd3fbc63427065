package store

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/doord/doord/store/internal/keys"
)

// Sentinel errors. Test with errors.Is; the store wraps them with context.
var (
	// ErrNotFound: no record with that key.
	ErrNotFound = errors.New("not found")
	// ErrLocked: another process holds the database file's lock.
	ErrLocked = errors.New("database is locked")
	// ErrArchived: the user is archived, which is final; it can only be
	// read or deleted.
	ErrArchived = errors.New("user is archived")
	// ErrDiskFull: the OS reported ENOSPC; nothing of the failed
	// transaction was written (bbolt rolls back).
	ErrDiskFull = errors.New("disk full")
	// ErrInUse: the record is still needed. DeleteTimeProfile returns it
	// when the profile is the only schedule of a user or credential (an
	// empty list means no time restriction, so detaching would widen
	// access); other deletes detach.
	ErrInUse = errors.New("in use")
	// ErrConflict: a unique value is taken; see ConflictError.
	ErrConflict = errors.New("conflict")
	// ErrBadCursor: a list cursor that this store did not issue.
	ErrBadCursor = keys.ErrBadCursor
	// ErrInvalid: a value the store cannot index or store (unknown enum
	// value, empty required field, key too long); see InvalidError. The
	// HTTP layer validates first; this is the store's own guard.
	ErrInvalid = errors.New("invalid")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store closed")
	// ErrNoPassesLeft: UsePass on a credential whose passes are used up.
	ErrNoPassesLeft = errors.New("no passes left")
	// ErrSchemaTooNew: the file was written by a newer doord.
	ErrSchemaTooNew = errors.New("database schema is newer than this doord supports")
)

// ConflictError is a unique-index violation. Field is one of "id",
// "ext_id", "value" (credential type+value), "username", "address".
// Reason, when set, says why a value that is not itself taken still
// conflicts (ReasonDuress*, ReasonCard*); it never names the other record
// or repeats a secret value.
type ConflictError struct {
	Field  string
	Reason string
}

// ConflictError reasons for a credential value.
const (
	// ReasonDuressOfOther: the PIN is another PIN's duress PIN.
	ReasonDuressOfOther = "is the duress PIN of another PIN"
	// ReasonDuressIsOther: the PIN's duress PIN is another PIN.
	ReasonDuressIsOther = "its duress PIN is another PIN"
	// ReasonCardPlainHeld: a card with this number and no format exists;
	// it matches frames of every format, so a format-bound card of the
	// same number would make a frame match two credentials.
	ReasonCardPlainHeld = "a card with this number and no format exists (it matches frames of every format)"
	// ReasonCardFormatHeld: a card with this number and a format exists; a
	// plain number would match its frames too.
	ReasonCardFormatHeld = "a card with this number and a format exists (a number without a format would match its frames too)"
)

func (e *ConflictError) Error() string {
	if e.Reason != "" {
		return e.Field + ": " + e.Reason
	}
	return e.Field + " already exists"
}
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// RefError says a referenced record does not exist. Field names the
// referring field ("time_profiles", "apartments", "user_uid",
// "operator_id"), ID the missing id.
type RefError struct {
	Field string
	ID    uint64
}

func (e *RefError) Error() string { return fmt.Sprintf("%s: %d does not exist", e.Field, e.ID) }

// InvalidError is a field value the store refuses; Is(ErrInvalid).
type InvalidError struct {
	Field  string
	Reason string
}

func (e *InvalidError) Error() string        { return e.Field + ": " + e.Reason }
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// lockedError keeps the operator-facing message short and exact while
// still matching ErrLocked.
type lockedError struct {
	path    string
	timeout time.Duration
}

func (e *lockedError) Error() string {
	return fmt.Sprintf("database %s is in use by another doord process (lock not acquired within %s)", e.path, e.timeout)
}
func (e *lockedError) Unwrap() error { return ErrLocked }

// diskFull marks err as ErrDiskFull when the OS said ENOSPC. bbolt wraps
// some file errors with %s (file resize, file sync), which drops the errno,
// so the message is checked as well.
func diskFull(err error) error {
	if err == nil || errors.Is(err, ErrDiskFull) {
		return err
	}
	if errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), syscall.ENOSPC.Error()) {
		return fmt.Errorf("%w: %w", ErrDiskFull, err)
	}
	return err
}
