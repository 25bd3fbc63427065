//go:build !linux

package access

import "unsafe"

// Without Linux's madvise there are no huge pages to ask for, and the
// load's tables are not carved from slabs (see tableSlab), so nothing is
// ever released.

func hugePages() bool                        { return false }
func adviseHuge(p unsafe.Pointer, n uintptr) {}
func release(p unsafe.Pointer, n uintptr)    {}
