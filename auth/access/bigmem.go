package access

import "unsafe"

// Memory for a load.
//
// A load at a million users fills ~370 MB of fresh memory (the user
// slots, the credential locations, the staged credentials, the shard
// tables), and touching fresh memory for the first time costs a page
// fault per 4 KB page: ~100,000 faults a 1M-user start. Where faults are
// dear (measured on the 2-vCPU VM of BENCHMARKS.md: ~10 µs each, a third
// of the start's CPU time), the big arrays are advised to transparent
// huge pages (huge_linux.go), one fault per 2 MB, when the kernel allows
// it (transparent_hugepage "madvise" or "always"). Only pointer-free
// arrays that a load fills whole are advised, so no memory is held that
// would not be touched anyway; an array too small to span a whole huge
// page is left alone.

// bigSlice is make([]T, n, c) for a pointer-free T, advised to huge pages.
func bigSlice[T any](n, c int) []T {
	s := make([]T, n, c)
	var zero T
	adviseHuge(unsafe.Pointer(unsafe.SliceData(s)), uintptr(c)*unsafe.Sizeof(zero))
	return s
}

// hugePage is the size of a transparent huge page on the platforms that
// have them here (x86-64 and arm64 with 4 KB base pages).
const hugePage = 2 << 20

// whole is the part of [p, p+n) made of whole pages of size page (a power
// of two): the offset of its first byte from p and its length, 0 when
// there is none.
func whole(p unsafe.Pointer, n, page uintptr) (off, size uintptr) {
	start := uintptr(p)
	first := (start + page - 1) &^ (page - 1)
	end := (start + n) &^ (page - 1)
	if end <= first {
		return 0, 0
	}
	return first - start, end - first
}
