// Command doordspace prints where a doord store file's bytes go: per
// bucket its keys, the bytes its pages hold (in use) and the bytes of the
// pages it occupies (allocated), and the file's free pages. It opens the
// file read-only; run it on a copy or a stopped daemon's file.
//
//	go run ./cmd/doordspace /var/lib/doord/doord.db
package main
