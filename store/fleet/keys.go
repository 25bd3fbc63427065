package fleet

import (
	"strconv"
	"strings"

	"github.com/doord/doord/store"
)

// The bucket's keys (doord_<site>):
//
//	user.<uid>           a user (store.User's JSON; its locks are the
//	                     user's site-wide grant, "none" once the user's
//	                     rights are written per group)
//	cred.<id>            a credential (store.Credential's JSON with its spelling)
//	tp.<id>              a time profile
//	apt.<id>             an apartment
//	right.<group>.<uid>  the user's right in a door group: {"locks":"both"|"1"|"2"},
//	                     the locks it grants on every controller of the group
//	                     (of those the controller holds in the group: group_locks)
//	ctl.<name>           a controller's number (decimal), allocated once
//	ctlseq               the last controller number allocated
//
// Ids are integers allocated by the controller that created the record
// in its own range [n<<32, (n+1)<<32) (store.SetFleetIDBase), so no two
// controllers can create the same key. A right's key is its group and
// its user's uid: one right per user and group, written by any
// controller (see README "Fleet" for who writes which).
var kindPrefix = map[store.ChangeKind]string{
	store.KindUser: "user.", store.KindCredential: "cred.", store.KindTimeProfile: "tp.", store.KindApartment: "apt.",
}

const (
	ctlSeqKey   = "ctlseq"
	rightPrefix = "right."
)

func recordKey(kind store.ChangeKind, id uint64) string {
	return kindPrefix[kind] + strconv.FormatUint(id, 10)
}

// opKey is op's key in the bucket.
func opKey(op *store.FleetOp) string {
	if op.Kind == store.KindRight {
		return rightPrefix + op.Group + "." + strconv.FormatUint(op.ID, 10)
	}
	return recordKey(op.Kind, op.ID)
}

// keyOp reads a record key into an op's Kind, ID and Group; ok is false
// for any other key.
func keyOp(key string) (op store.FleetOp, ok bool) {
	if rest, isRight := strings.CutPrefix(key, rightPrefix); isRight {
		dot := strings.LastIndexByte(rest, '.')
		if dot <= 0 {
			return op, false
		}
		uid, err := strconv.ParseUint(rest[dot+1:], 10, 64)
		return store.FleetOp{Kind: store.KindRight, ID: uid, Group: rest[:dot]}, err == nil && uid != 0
	}
	dot := strings.IndexByte(key, '.')
	if dot < 0 {
		return op, false
	}
	for k, p := range kindPrefix {
		if key[:dot+1] == p {
			id, err := strconv.ParseUint(key[dot+1:], 10, 64)
			return store.FleetOp{Kind: k, ID: id}, err == nil && id != 0
		}
	}
	return op, false
}

// watchKeys are the keys a controller with groups watches: every user,
// credential, time profile and apartment, the batch commit marker, the
// generation pointer and the controller numbers, and the rights of its
// own groups only (a KV watch of several filters: nats-server 2.10 or later).
// Without groups it watches every key (WatchAll), as any server can.
func (c Config) watchKeys() []string {
	if len(c.Groups) == 0 {
		return nil
	}
	ks := make([]string, 0, len(kindPrefix)+len(c.Groups))
	for _, p := range []string{"user.", "cred.", "tp.", "apt."} {
		ks = append(ks, p+">")
	}
	ks = append(ks, txnKey, genKey) // every batch's end (batch.go), the list's flip (gen.go)
	// The controller numbers too (skipped as they come): a replace
	// waits until the watch has seen the bucket's last message (gen.go
	// BeginReplace), and rights of other groups only ever come in a
	// batch, whose marker it sees.
	ks = append(ks, "ctl.>", ctlSeqKey)
	return append(ks, c.rightKeys()...)
}

// rightKeys are the key patterns of this controller's groups' rights.
func (c Config) rightKeys() []string {
	var ks []string
	for _, g := range c.Groups {
		ks = append(ks, rightPrefix+g+".>")
	}
	return ks
}
