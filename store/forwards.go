package store

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// Call forwarding rules, as BAS-IP panels keep them per flat ("Create/
// Update call forward rule", android-panels 2.13.0, camdroid-panels
// 1.0.7): a flat's number and the numbers its calls go to. doord places
// no calls; it keeps these records so that provisioning software that
// writes them in the same run as its keys completes, and hands them back
// as written.
//
// They live in a bucket of their own, keyed by the flat number
// (big-endian), created by the first write (a file without forwards has
// no bucket; nothing else reads it), so no schema migration is needed.
// Writes are ordinary store commits with a change record of kind
// KindForward (ID: the number; no payload), so backups and the feed
// carry them like everything else.

// bForwards: flat number → Forward JSON.
var bForwards = []byte("forwards")

// KindForward is the change record of a forward written or deleted.
const KindForward ChangeKind = "forward"

// MaxForwardEntities is how many numbers one flat's forward holds (BAS-IP
// panels: up to 8 numbers per call queue).
const MaxForwardEntities = 8

// Forward is one flat's call forwarding rule.
type Forward struct {
	// Number is the flat's (logical) number, BAS-IP's forward_number: ≥ 1.
	Number uint64 `json:"number"`
	// Entities are where calls go (forward_entity_list), in order, as
	// written: a number ("5588"), a SIP address ("sip:101@192.168.1.2",
	// "sip:192.168.1.2") or a "laskomex:N" / "vizit:N" line.
	Entities  []string  `json:"entities"`
	UpdatedAt time.Time `json:"updated_at"`
}

// forwardEntity is BAS-IP's number syntax (android-panels 2.13.0
// create-update-call-forward-rule): digits; sip:user@host with an IPv4
// address or a domain; sip:IPv4; laskomex:digits, vizit:digits. An
// optional :port after a SIP host is accepted (panels' own SIP settings
// carry one).
var forwardEntity = regexp.MustCompile(`^(?:[0-9]{1,32}|(?:laskomex|vizit):[0-9]{1,32}|sip:(?:[A-Za-z0-9._~+*#%-]{1,64}@)?(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*)(?::[0-9]{1,5})?)$`)

// ValidForwardEntity reports whether s is a forward number BAS-IP's
// syntax allows.
func ValidForwardEntity(s string) bool { return forwardEntity.MatchString(s) }

// checkForward is what every stored forward satisfies.
func checkForward(f *Forward) error {
	if f.Number == 0 || f.Number > 1<<63-1 {
		return &InvalidError{Field: "forward_number", Reason: "must be from 1 to 9223372036854775807"}
	}
	if len(f.Entities) > MaxForwardEntities {
		return &InvalidError{Field: "forward_entity_list", Reason: fmt.Sprintf("at most %d numbers", MaxForwardEntities)}
	}
	for i, e := range f.Entities {
		if !ValidForwardEntity(e) {
			return &InvalidError{Field: "forward_entity_list[" + strconv.Itoa(i) + "]",
				Reason: "must be digits, sip:user@host, sip:IPv4, laskomex:N or vizit:N"}
		}
	}
	return nil
}

// PutForward creates or replaces flat f.Number's forward (BAS-IP: "If
// there is already forward rule with same forward_number it will be
// updated"). It sets UpdatedAt.
func (s *Store) PutForward(f *Forward) error {
	n := *f
	n.Entities = append([]string{}, f.Entities...)
	if err := checkForward(&n); err != nil {
		return err
	}
	var at time.Time
	err := s.write(true, func(w *wtx) error {
		if _, err := w.tx.CreateBucketIfNotExists(bForwards); err != nil {
			return err
		}
		n.UpdatedAt = w.now
		at = w.now
		if err := w.put(bForwards, keys.U64(n.Number), &n); err != nil {
			return err
		}
		return w.emit(Change{Kind: KindForward, ID: n.Number})
	})
	if err == nil {
		f.UpdatedAt = at
	}
	return err
}

// GetForward reads flat number's forward; ErrNotFound when there is none.
func (s *Store) GetForward(number uint64) (Forward, error) {
	var f Forward
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bForwards)
		if b == nil {
			return ErrNotFound
		}
		var err error
		f, err = getJSON[Forward](b, keys.U64(number))
		return err
	})
	return f, err
}

// ForwardPage reads up to limit forwards in number order, skipping the
// first offset, and how many there are in all. A site has one per flat
// (thousands at most), so skipping is cheap.
func (s *Store) ForwardPage(offset, limit int) (page []Forward, total int, err error) {
	page = []Forward{}
	err = s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bForwards)
		if b == nil {
			return nil
		}
		total = b.Stats().KeyN
		c := b.Cursor()
		i := 0
		for k, v := c.First(); k != nil && len(page) < limit; k, v = c.Next() {
			if i++; i <= offset {
				continue
			}
			f, err := decode[Forward](k, v)
			if err != nil {
				return err
			}
			page = append(page, f)
		}
		return nil
	})
	return page, total, err
}

// DeleteForwards deletes the forwards of the given flat numbers in one
// commit and returns how many there were; numbers without one are
// ignored (BAS-IP clients delete what they believe is there).
func (s *Store) DeleteForwards(numbers []uint64) (int, error) {
	var n int
	err := s.write(false, func(w *wtx) error {
		n = 0
		b := w.b(bForwards)
		if b == nil {
			return nil
		}
		for _, num := range numbers {
			k := keys.U64(num)
			if b.Get(k) == nil {
				continue
			}
			if err := w.del(bForwards, k); err != nil {
				return err
			}
			if err := w.emit(Change{Kind: KindForward, ID: num, Deleted: true}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// checkForwards is Check's look at the forwards: keys, records and
// their syntax.
func checkForwards(tx *bolt.Tx, p *problems) {
	b := tx.Bucket(bForwards)
	if b == nil {
		return
	}
	b.ForEach(func(k, v []byte) error {
		num, ok := keys.ParseU64(k)
		if !ok {
			p.add("forwards: key %x is not 8 bytes", k)
			return nil
		}
		var f Forward
		if err := json.Unmarshal(v, &f); err != nil {
			p.add("forward %d: %v", num, err)
			return nil
		}
		if f.Number != num {
			p.add("forward %d: record says number %d", num, f.Number)
		}
		if err := checkForward(&f); err != nil {
			p.add("forward %d: %v", num, err)
		}
		return nil
	})
}
