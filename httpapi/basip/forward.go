package basip

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"

	"github.com/doord/doord/httpapi/core"
	"github.com/doord/doord/store"
)

// Call forwarding per flat (android-panels 2.13.0 and camdroid-panels
// 1.0.7 "Create/Update call forward rule", camdroid-panels 1.1.0 "Get
// call forward rules list"; DELETE /forward/items as SmartYard sends it,
// server/hw/ip/domophone/basip/Basip.php deleteForwards). doord places no
// calls: it keeps the rules (store/forwards.go) so that provisioning
// software that writes them in the same run as its keys completes, and
// answers them back as written.

// forwardItem is one rule as BAS-IP lists it; SmartYard destructures
// exactly these two keys and compares forward_number with its flat
// numbers, so the number is a JSON integer.
type forwardItem struct {
	ForwardNumber     uint64   `json:"forward_number"`
	ForwardEntityList []string `json:"forward_entity_list"`
}

func forwardView(f *store.Forward) forwardItem {
	l := f.Entities
	if l == nil {
		l = []string{}
	}
	return forwardItem{ForwardNumber: f.Number, ForwardEntityList: l}
}

const msgNoForward = "Forward not found"

// forwardNumber reads {n}: BAS-IP's forward number, an int64 ≥ 1.
func forwardNumber(r *core.Request) (uint64, error) {
	n, err := strconv.ParseUint(r.Param("n"), 10, 64)
	if err != nil || n == 0 || n > 1<<63-1 {
		return 0, bErr(404, msgNoForward)
	}
	return n, nil
}

// basipPutForward is POST /forward/item/{n} {"forward_entity_list":[…]}:
// creates the flat's rule or replaces it. Blank entries are dropped
// (SmartYard's older basip.php sends [""] for a flat without numbers);
// every other entry must be a number BAS-IP's syntax allows, at most 8.
func (s *Dialect) basipPutForward(r *core.Request) error {
	n, err := strconv.ParseUint(r.Param("n"), 10, 64)
	if err != nil || n == 0 || n > 1<<63-1 {
		return bErr(400, "Forward number must be an integer from 1 to 9223372036854775807")
	}
	b, err := parseBasipBody(r.Ctx.PostBody())
	if err != nil {
		return err
	}
	var list []string
	b.strs("forward_entity_list", &list, true)
	if err := b.error(); err != nil {
		return err
	}
	kept := make([]string, 0, len(list))
	for _, e := range list {
		if e != "" {
			kept = append(kept, e)
		}
	}
	f := store.Forward{Number: n, Entities: kept}
	if err := s.st.PutForward(&f); err != nil {
		var ie *store.InvalidError
		if errors.As(err, &ie) {
			return bErr(400, "Wrong JSON body: value `"+ie.Field+"` "+ie.Reason)
		}
		return err
	}
	return basipOK(r, forwardView(&f))
}

// basipGetForward is GET /forward/item/{n}.
func (s *Dialect) basipGetForward(r *core.Request) error {
	n, err := forwardNumber(r)
	if err != nil {
		return err
	}
	f, err := s.st.GetForward(n)
	if errors.Is(err, store.ErrNotFound) {
		return bErr(404, msgNoForward)
	}
	if err != nil {
		return err
	}
	return basipOK(r, forwardView(&f))
}

// basipDeleteForward is DELETE /forward/item/{n}.
func (s *Dialect) basipDeleteForward(r *core.Request) error {
	n, err := forwardNumber(r)
	if err != nil {
		return err
	}
	deleted, err := s.st.DeleteForwards([]uint64{n})
	if err != nil {
		return err
	}
	if deleted == 0 {
		return bErr(404, msgNoForward)
	}
	return basipOK(r, basipEmpty)
}

// basipDeleteForwards is DELETE /forward/items {"uid_items":[flat…]}
// (SmartYard deleteForwards): numbers without a rule are ignored, as a
// client deleting what it believes is there expects.
func (s *Dialect) basipDeleteForwards(r *core.Request) error {
	b, err := parseBasipBody(r.Ctx.PostBody())
	if err != nil {
		return err
	}
	raw, ok := b.raw("uid_items", true)
	if !ok {
		return b.error()
	}
	var nums []int64
	if json.Unmarshal(raw, &nums) != nil {
		return bWrongType("uid_items")
	}
	del := make([]uint64, 0, len(nums))
	for _, n := range nums {
		if n > 0 {
			del = append(del, uint64(n))
		}
	}
	if _, err := s.st.DeleteForwards(del); err != nil {
		return err
	}
	return basipOK(r, basipEmpty)
}

// forwardSort is the one order forwards are listed in.
var forwardSort = []string{"forward_number"}

// basipListForwards is GET /forward/items?limit=&page_number=: the rules
// in flat number order, in BAS-IP's list envelope. Any limit from 1 is
// accepted (SmartYard asks for 100; the documented sets stop at 50) and
// capped at 1000, the effective one echoed; a page past the end has
// list_items [] (SmartYard pages until it gets an empty one).
func (s *Dialect) basipListForwards(r *core.Request) error {
	args := r.Ctx.QueryArgs()
	q := listQuery{limit: basipDefaultLimit, page: 1, field: "forward_number", asc: true, filter: string(args.Peek("filter"))}
	if v := args.Peek("limit"); len(v) > 0 {
		n, err := strconv.Atoi(string(v))
		if err != nil || n < 1 {
			return bErr(400, "Wrong query parameter `limit`: an integer from 1")
		}
		q.limit = min(n, basipMaxLimit)
	}
	if v := args.Peek("page_number"); len(v) > 0 {
		n, err := strconv.Atoi(string(v))
		if err != nil || n < 1 {
			return bErr(400, "Wrong query parameter `page_number`: an integer from 1")
		}
		q.page = n
	}
	offset := math.MaxInt // past any end
	if q.page-1 <= math.MaxInt/q.limit {
		offset = q.limit * (q.page - 1)
	}
	page, total, err := s.st.ForwardPage(offset, q.limit)
	if err != nil {
		return err
	}
	items := make([]forwardItem, len(page))
	for i := range page {
		items[i] = forwardView(&page[i])
	}
	return basipOK(r, newBasipList(q, total, forwardSort, items))
}
