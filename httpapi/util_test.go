package httpapi

import (
	"strconv"

	"github.com/doord/doord/auth"
)

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }

func hashOf(tok string) [32]byte { return auth.HashToken(tok) }
