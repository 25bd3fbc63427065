package access

import (
	"os"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePages reports whether the kernel backs memory advised with
// MADV_HUGEPAGE by huge pages: a 64-bit process, and transparent huge
// pages "always" or "madvise" (not "never", and not compiled out).
var hugePages = sync.OnceValue(func() bool {
	if unsafe.Sizeof(uintptr(0)) < 8 {
		return false // 32-bit ARM: no transparent huge pages, and address space is scarce
	}
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return false
	}
	s := string(b)
	return strings.Contains(s, "[always]") || strings.Contains(s, "[madvise]")
})

// adviseHuge asks for huge pages under the whole huge pages of [p, p+n)
// (memory not yet touched gets them at its first fault). A refusal
// changes nothing but the speed, so its error is dropped.
func adviseHuge(p unsafe.Pointer, n uintptr) {
	if !hugePages() {
		return
	}
	if off, size := whole(p, n, hugePage); size > 0 {
		unix.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, off)), size), unix.MADV_HUGEPAGE)
	}
}

// release gives the whole pages of [p, p+n) back to the kernel: memory a
// live object holds but will never read again (a shard table's old
// slots inside a load's slab, see tableSlab). Touched again, it would
// read as zeros.
func release(p unsafe.Pointer, n uintptr) {
	if off, size := whole(p, n, uintptr(os.Getpagesize())); size > 0 {
		unix.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, off)), size), unix.MADV_DONTNEED)
	}
}
