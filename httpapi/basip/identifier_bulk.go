package basip

// Identifiers deleted many at a time, and found or deleted by type and
// number.
//
//	DELETE /access/identifier/items        {"uid_items":[…]}          SmartYard-Server Basip.php deleteIdentifiers
//	POST   /access/identifiers/items/delete {"count":N,"uid_items":[…]} multi-apartment /api/v0 (artonit-com, pin-rotator)
//	GET    /access/identifiers?type=&number=                           android-panels get-access-identifiers
//	DELETE /access/identifiers?type=&number=  and ?type= + {"list_items":[{"identifier_number"}]}
//	                                                                   android-panels delete-access-identifiers
//
// Bulk delete ignores uids it does not know and answers 200: artonit-com
// clears a panel by deleting every uid from 1 up to its probe card's in
// batches of 100, SmartYard sends every uid its last list showed.

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/doord/doord/httpapi/core"
	"github.com/doord/doord/store"
)

// maxBulkUIDs bounds one bulk delete (the body limit bounds it too).
const maxBulkUIDs = 10000

// bodyList reads the body's array field (required) of at most most items.
func bodyList[T any](r *core.Request, field string, most int) ([]T, error) {
	b, err := parseBasipBody(r.Ctx.PostBody())
	if err != nil {
		return nil, err
	}
	raw, _ := b.raw(field, true)
	if err := b.error(); err != nil {
		return nil, err
	}
	var items []T
	if json.Unmarshal(raw, &items) != nil {
		return nil, bWrongType(field)
	}
	if len(items) > most {
		return nil, bErr(400, field+": at most "+strconv.Itoa(most)+" items")
	}
	return items, nil
}

// deleteIdentifier deletes c and what the dialect keeps about it.
func (s *Dialect) deleteIdentifier(c store.Credential) error {
	if err := s.st.DeleteCredential(c.ID); err != nil {
		return err
	}
	s.forgetLink(c.ID)
	return nil
}

// basipDeleteIdentifiers deletes the identifiers of uid_items (count, when
// sent, is the v0 body's length of uid_items and is not needed).
func (s *Dialect) basipDeleteIdentifiers(r *core.Request) error {
	uids, err := bodyList[int64](r, "uid_items", maxBulkUIDs)
	if err != nil {
		return err
	}
	for _, uid := range uids {
		if uid < 1 {
			continue
		}
		c, err := s.identifierByUID(uint64(uid))
		if err == nil {
			err = s.deleteIdentifier(c)
		}
		var be *basipError
		if err != nil && !(errors.As(err, &be) && be.status == 404) && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return basipOK(r, basipEmpty)
}

// byTypeQuery reads ?type= (required) of /access/identifiers.
func byTypeQuery(r *core.Request) (store.CredentialType, string, error) {
	typ := string(r.Ctx.QueryArgs().Peek("type"))
	t, ok := basipToCredType[typ]
	if !ok {
		return "", "", bErr(400, "Wrong query parameter `type`: one of card, face_id, inputCode, qr, ukey, license_plate")
	}
	return t, typ, nil
}

// identifierByNumber finds the identifier of type t whose number is
// number, in any spelling of it.
func (s *Dialect) identifierByNumber(t store.CredentialType, number string) (store.Credential, error) {
	raw, _ := json.Marshal(number)
	v, _, _, problem := s.deps.CredentialValue(t, raw)
	if problem != "" {
		return store.Credential{}, bErr(404, basipNoIdent)
	}
	c, err := s.st.LookupCredential(t, v)
	if errors.Is(err, store.ErrNotFound) {
		return c, bErr(404, basipNoIdent)
	}
	return c, err
}

// basipIdentifiersByType is GET /access/identifiers?type=[&number=]: with
// number, that identifier (the GET-item object); without, the list of
// that type (the identifier list, filtered by type).
func (s *Dialect) basipIdentifiersByType(r *core.Request) error {
	t, _, err := byTypeQuery(r)
	if err != nil {
		return err
	}
	args := r.Ctx.QueryArgs()
	if number := string(args.Peek("number")); number != "" {
		if t == store.CredPIN && r.Op.Role != store.RoleAdmin && r.Op.Role != store.RoleOperator {
			// A PIN is found by its value: only those who may write it
			// may probe for it.
			return bErr(403, basipAdminReq)
		}
		c, err := s.identifierByNumber(t, number)
		if err != nil {
			return err
		}
		return s.basipIdentAnswer(r, &c)
	}
	if len(args.Peek("filter")) == 0 && len(args.Peek("filter_field")) == 0 {
		args.Set("filter_field", "identifier_type")
		args.Set("filter_value", credTypeToBasip(t))
	}
	return s.basipListIdentifiers(r)
}

// basipDeleteIdentifiersByType is DELETE /access/identifiers?type=: with
// &number= the one identifier (404 when there is none); else the batch
// body {"list_items":[{"identifier_number"}]}, answered per item as
// android-panels documents it.
func (s *Dialect) basipDeleteIdentifiersByType(r *core.Request) error {
	t, typ, err := byTypeQuery(r)
	if err != nil {
		return err
	}
	if number := string(r.Ctx.QueryArgs().Peek("number")); number != "" {
		c, err := s.identifierByNumber(t, number)
		if err != nil {
			return err
		}
		if err := s.deleteIdentifier(c); err != nil {
			return err
		}
		return basipOK(r, basipEmpty)
	}
	items, err := bodyList[struct {
		Number json.RawMessage `json:"identifier_number"`
	}](r, "list_items", maxBulkUIDs)
	if err != nil {
		return err
	}
	type result struct {
		IdentifierType   string `json:"identifier_type"`
		Success          bool   `json:"success"`
		IdentifierNumber string `json:"identifier_number"`
		ExtendedInfo     string `json:"extended_info"`
	}
	out := struct {
		Result []result `json:"result"`
	}{Result: make([]result, 0, len(items))}
	for _, it := range items {
		var number string
		if json.Unmarshal(it.Number, &number) != nil {
			number = string(it.Number)
		}
		res := result{IdentifierType: typ, IdentifierNumber: number, ExtendedInfo: "not_found"}
		c, err := s.identifierByNumber(t, number)
		if err == nil {
			if err = s.deleteIdentifier(c); err == nil {
				res.Success, res.ExtendedInfo = true, "deleted"
			}
		}
		var be *basipError
		if err != nil && !(errors.As(err, &be) && be.status == 404) && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		out.Result = append(out.Result, res)
	}
	return basipOK(r, out)
}
