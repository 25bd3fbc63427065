//go:build !linux

package gpiocdev

import "errors"

// DefaultBuffer is the event buffer asked for on Linux.
const DefaultBuffer = 256

// Request holds D0 and D1 of one reader in a single line request.
type Request struct {
	Chip, D0, D1, Consumer string
	Buffer                 uint32
}

// Open is Linux only; the simulator works everywhere.
func Open(Request) (*Source, error) {
	return nil, errors.New("gpiocdev: the GPIO character device is Linux only")
}

// OpenChip is Linux only.
func OpenChip(string) (Chip, error) {
	return nil, errors.New("gpiocdev: the GPIO character device is Linux only")
}
