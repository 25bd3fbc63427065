package basip

// Identifiers by link_id: a remote management system's own id (a uuid)
// for an identifier, with create-or-update and delete by it
// (android-panels latest/2.10.0 "Update multiple Identifier items by
// link_id" and "Delete multiple Identifier items by link_id",
// camdroid-lift-controller post-access-identifier-items-link,
// android-panels 2.1.0/2.8.0 get-access-identifier-items-link):
//
//	POST   /access/identifier/items/link   {"list_items":[{link_id, …identifier…}]}
//	GET    /access/identifier/items/link   the identifier list (items carry link_id)
//	DELETE /access/identifier/items/link   {"link_ids":[…]}
//	POST   /access/identifiers/link/delete {"link_ids":[…]}  (android latest, camdroid 0.5.0)
//
// Writes answer {"result":[{"link_id","success","extended_info"}]}, one
// per item in order. The link is kept in two settings (basip.link.<uuid>
// → the identifier's BAS-IP uid, basip.link_of.<uid> → uuid); a link
// whose identifier is gone (deleted through the native API) is no link.

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/doord/doord/httpapi/core"
	"github.com/doord/doord/store"
)

const (
	linkPrefix   = "basip.link."    // link_id → BAS-IP uid
	linkOfPrefix = "basip.link_of." // BAS-IP uid → link_id
	maxLinkItems = 1000
)

// linkResult is one item's outcome. extended_info is one of BAS-IP's
// words (android-panels update-multiple-identifier-items-by-link-id).
type linkResult struct {
	LinkID       string `json:"link_id"`
	Success      bool   `json:"success"`
	ExtendedInfo string `json:"extended_info"`
}

type linkResults struct {
	Result []linkResult `json:"result"`
}

// validUUID reports whether s is a uuid in its 8-4-4-4-12 hex form.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// linkOf is identifier uid's link_id, nil without one.
func (s *Dialect) linkOf(uid uint64) *string {
	v, err := s.st.GetSetting(linkOfPrefix + strconv.FormatUint(uid, 10))
	if err != nil || len(v) == 0 {
		return nil
	}
	l := string(v)
	return &l
}

// linked is the identifier link names, ok false when there is none.
func (s *Dialect) linked(link string) (store.Credential, bool, error) {
	v, err := s.st.GetSetting(linkPrefix + link)
	if errors.Is(err, store.ErrNotFound) {
		return store.Credential{}, false, nil
	}
	if err != nil {
		return store.Credential{}, false, err
	}
	uid, perr := strconv.ParseUint(string(v), 10, 64)
	if perr != nil {
		return store.Credential{}, false, nil
	}
	if back := s.linkOf(uid); back == nil || *back != link {
		return store.Credential{}, false, nil
	}
	c, err := s.identifierByUID(uid)
	var be *basipError
	if errors.As(err, &be) && be.status == 404 {
		return c, false, nil
	}
	return c, err == nil, err
}

// setLink links identifier uid to link.
func (s *Dialect) setLink(uid uint64, link string) error {
	u := strconv.FormatUint(uid, 10)
	if err := s.st.PutSetting(linkPrefix+link, []byte(u)); err != nil {
		return err
	}
	return s.st.PutSetting(linkOfPrefix+u, []byte(link))
}

// forgetLink drops identifier uid's link.
func (s *Dialect) forgetLink(uid uint64) {
	l := s.linkOf(uid)
	if l == nil {
		return
	}
	_ = s.st.DeleteSetting(linkOfPrefix + strconv.FormatUint(uid, 10))
	_ = s.st.DeleteSetting(linkPrefix + *l)
}

// linkFailure is BAS-IP's extended_info for an item that failed with err;
// other errors fail the request.
func linkFailure(err error) (string, bool) {
	var be *basipError
	var re *store.RefError
	switch {
	case errors.As(err, &be) && be.status == 400 && be.msg == basipDupIdent:
		return "number_taken_by_another_identifier", true
	case errors.As(err, &re) && re.Field == "time_profiles":
		return "bound_time_profile_doesnt_exist", true
	case errors.As(err, &be) && be.status < 500:
		return "wrong_rule", true
	}
	return "", false
}

// basipLinkIdentifiers is POST /access/identifier/items/link: each item
// updates the identifier its link_id names, or creates it with that
// link_id. Items are checked for a link_id first; nothing is written if
// one lacks it.
func (s *Dialect) basipLinkIdentifiers(r *core.Request) error {
	items, err := bodyList[json.RawMessage](r, "list_items", maxLinkItems)
	if err != nil {
		return err
	}
	bodies := make([]*bbody, len(items))
	links := make([]string, len(items))
	for i, it := range items {
		ib, err := parseBasipBody(it)
		if err != nil {
			return bWrongType("list_items")
		}
		if ib.str("link_id", &links[i], true); ib.err != nil {
			return ib.err
		}
		if !validUUID(links[i]) {
			return bErr(400, "Wrong JSON body: value `link_id` must be a uuid")
		}
		bodies[i] = ib
	}
	s.bas.linkMu.Lock()
	defer s.bas.linkMu.Unlock()
	out := linkResults{Result: make([]linkResult, 0, len(items))}
	for i, ib := range bodies {
		res := linkResult{LinkID: links[i], Success: true, ExtendedInfo: "created"}
		c, found, err := s.linked(links[i])
		if err == nil && found {
			res.ExtendedInfo = "updated"
			_, err = s.st.UpdateCredential(c.ID, func(c *store.Credential) error {
				ib.err = nil
				s.applyBasipIdentifier(ib, c, false)
				return ib.error()
			})
			err = identifierConflict(err)
		} else if err == nil {
			if c, err = s.createIdentifier(ib); err == nil {
				err = s.setLink(c.ID, links[i])
			}
		}
		if err != nil {
			info, ok := linkFailure(err)
			if !ok {
				return err
			}
			res.Success, res.ExtendedInfo = false, info
		}
		out.Result = append(out.Result, res)
	}
	return basipOK(r, out)
}

// basipUnlinkIdentifiers is DELETE /access/identifier/items/link and
// POST /access/identifiers/link/delete {"link_ids":[…]}: deletes the
// identifiers the links name; an unknown link is entity_not_found
// (android-panels 2.9.0).
func (s *Dialect) basipUnlinkIdentifiers(r *core.Request) error {
	links, err := bodyList[string](r, "link_ids", maxLinkItems)
	if err != nil {
		return err
	}
	s.bas.linkMu.Lock()
	defer s.bas.linkMu.Unlock()
	out := linkResults{Result: make([]linkResult, 0, len(links))}
	for _, l := range links {
		res := linkResult{LinkID: l, Success: false, ExtendedInfo: "entity_not_found"}
		c, found, err := s.linked(l)
		if err != nil {
			return err
		}
		if found {
			if err := s.deleteIdentifier(c); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			res.Success, res.ExtendedInfo = true, "deleted"
		}
		out.Result = append(out.Result, res)
	}
	return basipOK(r, out)
}
