// Package autobackup takes the daemon's scheduled local backups: every
// Every it writes a hot snapshot of the store into Dir under a name that
// carries its UTC time (doord-20261204T161500Z.db), verifies it the way
// `doord restore` would (the copy opens as a store and passes the
// consistency check), and keeps the Keep newest good backups, deleting
// older ones. Only files named by this package are ever deleted.
//
// A backup that fails (disk full, a copy that does not verify) is removed
// and logged; it never counts toward Keep, so a run of failures cannot
// push the last good backups out. The schedule resumes from the newest
// backup in Dir after a restart: a daemon restarted every hour still backs
// up once a day.
//
// The work runs on its own goroutine, off the door path; the copy holds a
// read transaction (see store.Store.Backup), and the check reads the copy,
// not the live file.
package autobackup
