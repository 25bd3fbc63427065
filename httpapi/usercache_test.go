package httpapi

import (
	"fmt"
	"testing"

	"github.com/doord/doord/store"
)

func TestUserCacheNeverServesAnOldVersion(t *testing.T) {
	e := newEnv(t)
	u := e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name":"Before"}`).want(201).json()
	id, uid := u["id"].(string), fmt.Sprint(u["uid"])
	for _, key := range []string{id, uid} {
		e.do("GET", "/api/v1/users/"+key, e.admin, "").want(200) // fills
		if e.srv.users.get(key) == nil {
			t.Fatalf("GET by %s did not fill the cache", key)
		}
	}
	e.do("PATCH", "/api/v1/users/"+id, e.admin, `{"name":"After"}`).want(200)
	for _, key := range []string{id, uid} {
		if got := e.do("GET", "/api/v1/users/"+key, e.admin, "").want(200).str("name"); got != "After" {
			t.Fatalf("GET by %s after PATCH: name %q, want After", key, got)
		}
	}
	e.do("DELETE", "/api/v1/users/"+id, e.admin, "").want(204)
	e.do("GET", "/api/v1/users/"+id, e.admin, "").want(404)
	e.do("GET", "/api/v1/users/"+uid, e.admin, "").want(404)
}

func TestUserCacheFillRacingAWriteIsDropped(t *testing.T) {
	c := newUserCache(10)
	u := &store.User{ID: "a", UID: 1}
	gen := c.gen.Load()                                       // a reader starts...
	c.onChange([]store.Change{{Kind: store.KindUser, ID: 1}}) // ...a write commits...
	c.put(gen, u, []byte(`old`))                              // ...the reader's old copy arrives
	if c.get("a") != nil || c.get("1") != nil {
		t.Fatal("a fill that raced a write was cached")
	}
	c.put(c.gen.Load(), u, []byte(`new`))
	if string(c.get("1")) != "new" {
		t.Fatal("a clean fill was not cached")
	}
	// Other kinds of change leave users alone.
	c.onChange([]store.Change{{Kind: store.KindCredential, ID: 1}})
	if c.get("a") == nil {
		t.Fatal("a credential change dropped a user")
	}
}

func TestUserCacheIsBounded(t *testing.T) {
	c := newUserCache(3)
	for i := uint64(1); i <= 10; i++ {
		c.put(c.gen.Load(), &store.User{ID: fmt.Sprint("u", i), UID: i}, []byte("x"))
	}
	if len(c.byUID) != 3 || len(c.byKey) != 6 {
		t.Fatalf("cache holds %d users / %d keys, want 3 / 6", len(c.byUID), len(c.byKey))
	}
}

// The cache follows the feed as a store.Follower: when the feed cannot
// vouch for what it missed (a panic in onChange, a dropped queue), Sync
// empties it, and a fill that started before the Sync is not cached.
func TestUserCacheSyncEmptiesIt(t *testing.T) {
	c := newUserCache(10)
	u := &store.User{ID: "a", UID: 1}
	c.put(c.gen.Load(), u, []byte(`cached`))
	gen := c.gen.Load() // a reader starts before the resync
	f := cacheFollower{c, func() uint64 { return 42 }}
	if seq, err := f.Sync(); err != nil || seq != 42 {
		t.Fatalf("Sync = %d, %v", seq, err)
	}
	if c.get("a") != nil || c.get("1") != nil {
		t.Fatal("Sync kept an entry the feed may have invalidated")
	}
	c.put(gen, u, []byte(`old`))
	if c.get("a") != nil {
		t.Fatal("a fill from before the Sync was cached")
	}
}
