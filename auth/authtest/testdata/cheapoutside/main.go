// cheapoutside calls authtest.CheapHashes in a program that is not a test
// binary, which must panic (authtest's TestCheapHashesPanicsOutsideTests).
package main

import (
	"fmt"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/auth/authtest"
)

func main() {
	authtest.CheapHashes()
	h, _ := auth.HashPassword("not reached, we hope")
	fmt.Println(h)
}
