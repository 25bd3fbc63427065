package fleet

import (
	"strconv"
	"strings"

	"github.com/doord/doord/store"
)

// The bucket's keys (doord_<site>):
//
//	user.<uid>   a user (store.User's JSON)
//	cred.<id>    a credential (store.Credential's JSON with its spelling)
//	tp.<id>      a time profile
//	apt.<id>     an apartment
//	ctl.<name>   a controller's number (decimal), allocated once
//	ctlseq       the last controller number allocated
//
// Ids are integers allocated by the controller that created the record
// in its own range [n<<32, (n+1)<<32) (store.SetFleetIDBase), so no two
// controllers can create the same key.
var kindPrefix = map[store.ChangeKind]string{
	store.KindUser: "user.", store.KindCredential: "cred.", store.KindTimeProfile: "tp.", store.KindApartment: "apt.",
}

const ctlSeqKey = "ctlseq"

func recordKey(kind store.ChangeKind, id uint64) string {
	return kindPrefix[kind] + strconv.FormatUint(id, 10)
}

// parseKey reads a record key; ok is false for any other key.
func parseKey(key string) (kind store.ChangeKind, id uint64, ok bool) {
	dot := strings.IndexByte(key, '.')
	if dot < 0 {
		return "", 0, false
	}
	for k, p := range kindPrefix {
		if key[:dot+1] == p {
			id, err := strconv.ParseUint(key[dot+1:], 10, 64)
			return k, id, err == nil && id != 0
		}
	}
	return "", 0, false
}
