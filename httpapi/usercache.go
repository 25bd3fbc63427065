package httpapi

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/doord/doord/store"
)

// userCache keeps the JSON of recently read users, so that integrations
// polling GET /users/{id} are served from memory. It follows the store's
// change feed: every committed write of a user drops that user's entries
// before the writer gets its 2xx, so a reader never sees a user older than
// a write that was acknowledged to anyone.
type userCache struct {
	max int
	gen atomic.Uint64 // bumped on every user change; see put

	mu    sync.RWMutex
	byKey map[string]*cachedUser // by the path form: uuid or decimal uid
	byUID map[uint64]*cachedUser
}

type cachedUser struct {
	uid  uint64
	id   string
	body []byte
}

func newUserCache(max int) *userCache {
	return &userCache{max: max, byKey: map[string]*cachedUser{}, byUID: map[uint64]*cachedUser{}}
}

// get returns the cached JSON for key (a uuid or uid string).
func (c *userCache) get(key string) []byte {
	if c == nil || c.max <= 0 {
		return nil
	}
	c.mu.RLock()
	e := c.byKey[key]
	c.mu.RUnlock()
	if e == nil {
		return nil
	}
	return e.body
}

// put caches body for u if no user changed since gen was read (before
// the store read that produced u): a fill racing a write must not
// resurrect the old version after the write's invalidation ran.
func (c *userCache) put(gen uint64, u *store.User, body []byte) {
	if c == nil || c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	if _, ok := c.byUID[u.UID]; ok {
		return
	}
	if len(c.byUID) >= c.max {
		for _, old := range c.byUID { // evict one, arbitrarily
			c.dropLocked(old)
			break
		}
	}
	e := &cachedUser{uid: u.UID, id: u.ID, body: body}
	c.byUID[u.UID] = e
	c.byKey[u.ID] = e
	c.byKey[strconv.FormatUint(u.UID, 10)] = e
}

func (c *userCache) dropLocked(e *cachedUser) {
	delete(c.byUID, e.uid)
	delete(c.byKey, e.id)
	delete(c.byKey, strconv.FormatUint(e.uid, 10))
}

// cacheFollower is the cache as a store.Follower: after a panic in
// onChange or a dropped feed queue the store Syncs it, which empties it
// (it cannot know which users it missed).
type cacheFollower struct {
	c   *userCache
	seq func() uint64 // the store's last committed seq
}

// Sync empties the cache. The seq is read first: a commit after it is
// applied by the feed; one before it was committed before the cache was
// emptied, and a fill that read older data then carries an older gen.
func (f cacheFollower) Sync() (uint64, error) {
	seq := f.seq()
	c := f.c
	c.mu.Lock()
	c.gen.Add(1)
	clear(c.byKey)
	clear(c.byUID)
	c.mu.Unlock()
	return seq, nil
}

func (f cacheFollower) Apply(cs []store.Change) { f.c.onChange(cs) }

// onChange applies committed changes: a changed user's entries go.
func (c *userCache) onChange(cs []store.Change) {
	var users []uint64
	for _, ch := range cs {
		if ch.Kind == store.KindUser || ch.Kind == store.KindRight { // a right: the user's door_rights
			users = append(users, ch.ID)
		}
	}
	if len(users) == 0 {
		return
	}
	c.mu.Lock()
	c.gen.Add(1)
	for _, uid := range users {
		if e := c.byUID[uid]; e != nil {
			c.dropLocked(e)
		}
	}
	c.mu.Unlock()
}
