package httpapi

import (
	"os"
	"testing"

	"github.com/doord/doord/auth/authtest"
)

// TestMain makes the suite's argon2id hashes cheap (authtest.CheapHashes):
// it makes operators and logs in hundreds of times, which at the real
// cost was a third of its CPU time with the race detector. auth's own
// tests check the real cost.
func TestMain(m *testing.M) {
	authtest.CheapHashes()
	os.Exit(m.Run())
}
