package basip

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/doord/doord/httpapi/core"
)

// Error strings, byte for byte as BAS-IP answers them (seed 000).
const (
	basipLogIn     = "Log In"
	basipAdminReq  = "Administrator rights required"
	basipWrongBody = "Wrong JSON body"
	basipNoFactors = "auth_factors must contain at least one item"
	basipDupIdent  = "Identifier with that type and number already exist"
	basipDupApt    = "Apartment with that Logical Address already exist"
)

// basipTokenTTL is how long a BAS-IP login's token lasts ("Token storage
// time - 2 hours"; no refresh tokens).
const basipTokenTTL = 2 * time.Hour

// basipError is an answer in BAS-IP's error shape.
type basipError struct {
	status     int
	msg        string
	retryAfter int
}

func (e *basipError) Error() string { return strconv.Itoa(e.status) + " " + e.msg }

func bErr(status int, msg string) *basipError { return &basipError{status: status, msg: msg} }

func bMissing(field string) *basipError {
	return bErr(400, basipWrongBody+": no value for `"+field+"`")
}

func bWrongType(field string) *basipError {
	return bErr(400, basipWrongBody+": value `"+field+"` was of the wrong type")
}

func basipOK(r *core.Request, v any) error { return core.WriteJSON(r.Ctx, 200, v) }

// basipEmpty is the body of answers that carry nothing: {}.
var basipEmpty = struct{}{}

// itemUID is the user create answer. BAS-IP: "UID for entities references".
type itemUID struct {
	ItemUID uint64 `json:"item_uid"`
}

// createdUID is the create answer of identifiers, time profiles and
// apartments: {"uid": N} in every doc version (android-panels 2.12.0
// create-identifier-entity, 2.5.0 time profiles, camdroid-panels 1.0.4
// post-apartment), and what clients read (SmartYard `$uid['uid']`,
// artonit `GetProperty("uid")`).
type createdUID struct {
	UID uint64 `json:"uid"`
}

// Routes registers the BAS-IP routes (base /api/v1, BAS-IP's paths) with
// add; the server dispatches them to Serve.
// Reads are for any role (viewer and up); writes need doord's operator
// role (admin or operator), the same rule as the native API: BAS-IP knows
// only administrator or not, and a viewer is "not".
func (s *Dialect) Routes(h func(method, pattern string, n core.Need, fn core.Handler)) {
	const b = "/api/v1"
	h("GET", b+"/login", core.Public, s.basipLogin)

	h("POST", b+"/access/user", core.People, s.basipCreateUser)
	h("GET", b+"/access/users/list", core.Read, s.basipListUsers)
	h("GET", b+"/access/users/item/{uid}", core.Read, s.basipGetUser)
	h("PATCH", b+"/access/users/item/{uid}", core.People, s.basipPatchUser)
	h("DELETE", b+"/access/users/item/{uid}", core.People, s.basipDeleteUser)
	h("POST", b+"/access/user/{uid}/identifier/{id}", core.People, s.basipAttachIdentifier(true))
	h("DELETE", b+"/access/user/{uid}/identifier/{id}", core.People, s.basipAttachIdentifier(false))
	h("POST", b+"/access/user/{uid}/timeprofile/{tp}", core.People, s.basipAttachProfile(true))
	h("DELETE", b+"/access/user/{uid}/timeprofile/{tp}", core.People, s.basipAttachProfile(false))

	h("POST", b+"/access/identifier", core.People, s.basipCreateIdentifier)
	for _, ids := range []string{"/access/identifiers", "/access/identifier"} {
		h("GET", b+ids+"/list", core.Read, s.basipListIdentifiers)
		h("GET", b+ids+"/item/{id}", core.Read, s.basipGetIdentifier)
		h("PATCH", b+ids+"/item/{id}", core.People, s.basipPatchIdentifier)
		h("DELETE", b+ids+"/item/{id}", core.People, s.basipDeleteIdentifier)
		h("POST", b+ids+"/item/{id}/passes/reset", core.People, s.basipResetPasses)
	}

	// Panel firmwares spell the item paths singular (android-panels:
	// /access/timeprofile/item/…, /access/identifier/item/…) or plural
	// (camdroid); both are served.
	h("POST", b+"/access/timeprofile", core.People, s.basipCreateProfile)
	// Lists at …/items (android-panels get-time-profiles-list,
	// camdroid-panels get-apartment-items) and …/items/list (the
	// multi-apartment panels' v0 API) beside doord's first guess, /list.
	for _, p := range []string{b + "/access/timeprofile/items", b + "/access/timeprofile/items/list",
		b + "/access/timeprofiles/items", b + "/access/timeprofiles/items/list",
		"/api/v0/access/timeprofile/items/list", "/api/v0/access/timeprofiles/items/list"} {
		h("GET", p, core.Read, s.basipListProfiles)
	}
	for _, p := range []string{b + "/apartment/items", b + "/apartment/items/list", "/api/v0/apartment/items/list"} {
		h("GET", p, core.Read, s.basipListApartments)
	}
	for _, tps := range []string{"/access/timeprofiles", "/access/timeprofile"} {
		h("GET", b+tps+"/list", core.Read, s.basipListProfiles)
		h("GET", b+tps+"/item/{tp}", core.Read, s.basipGetProfile)
		h("PATCH", b+tps+"/item/{tp}", core.People, s.basipPatchProfile)
		h("DELETE", b+tps+"/item/{tp}", core.People, s.basipDeleteProfile)
	}
	for _, ids := range []string{"/access/identifiers", "/access/identifier"} {
		h("POST", b+ids+"/item/{id}/timeProfile/{tp}", core.People, s.basipAttachIdentProfile(true))
		h("DELETE", b+ids+"/item/{id}/timeProfile/{tp}", core.People, s.basipAttachIdentProfile(false))
	}

	s.identifierRoutes(h)

	h("POST", b+"/apartment", core.People, s.basipCreateApartment)
	h("GET", b+"/apartment/list", core.Read, s.basipListApartments)
	h("GET", b+"/apartment/item/{apt}", core.Read, s.basipGetApartment)
	h("PATCH", b+"/apartment/item/{apt}", core.People, s.basipPatchApartment)
	h("DELETE", b+"/apartment/item/{apt}", core.People, s.basipDeleteApartment)
	h("POST", b+"/apartment/item/{apt}/user/{uid}", core.People, s.basipAttachApartment(true))
	h("DELETE", b+"/apartment/item/{apt}/user/{uid}", core.People, s.basipAttachApartment(false))
	h("POST", b+"/apartment/item/{apt}/identifier/{id}", core.People, s.basipBindApartment(true))
	h("POST", b+"/apartment/item/unbind/identifier/{id}", core.People, s.basipBindApartment(false))

	h("GET", b+"/access/general/lock/open/remote/accepted/{lock}", core.Doors, s.basipRemoteOpen)
	h("POST", b+"/access/general/lock/open/emergency", core.Doors, s.basipEmergencyOpen)
	h("POST", b+"/access/general/lock/close/emergency", core.Doors, s.basipEmergencyClose)
	h("GET", b+"/log/list", core.Read, s.basipLogs)
	h("GET", "/api/v0/log/list", core.Read, s.basipLogs)

	// Device information, before any login (info.go).
	h("GET", "/api/info", core.Public, s.basipInfo)
	h("GET", b+"/info", core.Public, s.basipInfo)
	h("GET", "/api/v0/device/name", core.Public, s.basipDeviceName)

	// Call forwarding, kept and never dialled (forward.go).
	h("POST", b+"/forward/item/{n}", core.People, s.basipPutForward)
	h("GET", b+"/forward/item/{n}", core.Read, s.basipGetForward)
	h("DELETE", b+"/forward/item/{n}", core.People, s.basipDeleteForward)
	h("GET", b+"/forward/items", core.Read, s.basipListForwards)
	h("DELETE", b+"/forward/items", core.People, s.basipDeleteForwards)
}

// basipLogin is GET /api/v1/login?username=…&password=<md5 hex>. It shares
// checkLogin with the native login: the same lockout, the same per-address
// throttle, the same audit events. An operator with TOTP adds &totp=….
func (s *Dialect) basipLogin(r *core.Request) error {
	args := r.Ctx.QueryArgs()
	username := string(args.Peek("username"))
	md5hex := string(args.Peek("password"))
	code := string(args.Peek("totp"))
	if username == "" || md5hex == "" || len(username) > 64 || len(md5hex) > 64 {
		return bErr(401, "Wrong username or password")
	}
	op, err := s.deps.CheckLogin(r.Ctx.RemoteIP().String(), username, md5hex, code)
	if err != nil {
		var ae *core.Error
		if errors.As(err, &ae) {
			switch ae.Status {
			case 401:
				return bErr(401, "Wrong username or password")
			case 429:
				return &basipError{status: 429, msg: "Too many failed logins; try again later", retryAfter: ae.RetryAfter}
			case 403:
				return bErr(403, "Account is disabled or expired")
			}
		}
		return err
	}
	if op.ForcePasswordChange || op.CredentialsExpired {
		return bErr(403, "Password change required: log in at POST /api/v1/session and change it")
	}
	token, err := s.deps.NewSession(op, basipTokenTTL)
	if err != nil {
		return err
	}
	return basipOK(r, struct {
		AccountType string `json:"account_type"`
		Token       string `json:"token"`
	}{string(op.Role), token})
}

// --- request bodies ---

// bbody is a decoded BAS-IP body. BAS-IP reports the first problem only,
// in its own words; getters record the first and ignore the rest.
type bbody struct {
	f   map[string]json.RawMessage
	err *basipError
}

// parseBasipBody decodes one JSON object; anything else is BAS-IP's
// "Wrong JSON body".
func parseBasipBody(body []byte) (*bbody, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, bErr(400, basipWrongBody)
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&m); err != nil || dec.More() {
		return nil, bErr(400, basipWrongBody)
	}
	return &bbody{f: m}, nil
}

func (b *bbody) fail(e *basipError) {
	if b.err == nil {
		b.err = e
	}
}

func (b *bbody) failf(format string, args ...any) { b.fail(bErr(400, fmt.Sprintf(format, args...))) }

func (b *bbody) error() error {
	if b.err == nil {
		return nil
	}
	return b.err
}

// raw returns a field that is present and not null; a required field
// that is absent or null is "no value".
func (b *bbody) raw(name string, required bool) (json.RawMessage, bool) {
	r, ok := b.f[name]
	if !ok || core.IsNull(r) {
		if required {
			b.fail(bMissing(name))
		}
		return nil, false
	}
	return r, true
}

func (b *bbody) str(name string, dst *string, required bool) bool {
	return decodeField(b, name, dst, required)
}

func (b *bbody) boolean(name string, dst *bool, required bool) bool {
	return decodeField(b, name, dst, required)
}

// decodeField reads field name into dst; a value of another JSON type is
// BAS-IP's "wrong type".
func decodeField[T any](b *bbody, name string, dst *T, required bool) bool {
	r, ok := b.raw(name, required)
	if !ok {
		return false
	}
	if json.Unmarshal(r, dst) != nil {
		b.fail(bWrongType(name))
		return false
	}
	return true
}

// integer reads a JSON integer (no fraction, no string).
func (b *bbody) integer(name string, dst *int64, required bool) bool {
	r, ok := b.raw(name, required)
	if !ok {
		return false
	}
	var n json.Number // would take "1" too: a string is the wrong type
	if r[0] == '"' || json.Unmarshal(r, &n) != nil {
		b.fail(bWrongType(name))
		return false
	}
	v, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		b.fail(bWrongType(name))
		return false
	}
	*dst = v
	return true
}

func (b *bbody) strs(name string, dst *[]string, required bool) bool {
	return decodeField(b, name, dst, required)
}

// obj reads a nested object; its errors are this body's.
func (b *bbody) obj(name string, required bool) (*bbody, bool) {
	r, ok := b.raw(name, required)
	if !ok {
		return nil, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(r, &m) != nil || m == nil {
		b.fail(bWrongType(name))
		return nil, false
	}
	return &bbody{f: m}, true
}

// merge takes a nested body's first error.
func (b *bbody) merge(sub *bbody) {
	if sub != nil && sub.err != nil {
		b.fail(sub.err)
	}
}

// --- path parameters ---

// basipID reads a numeric path parameter; anything else is notFound.
func basipID(r *core.Request, name, notFound string) (uint64, error) {
	v, err := strconv.ParseUint(r.Param(name), 10, 64)
	if err != nil || v == 0 {
		return 0, bErr(404, notFound)
	}
	return v, nil
}

// --- lists ---

// listQuery is BAS-IP's list parameters: limit, page_number (from 1),
// sort_field, sort_type (asc|desc), filter.
type listQuery struct {
	limit, page int
	field       string
	asc         bool
	filter      string
	filterObj   *filterObject // the object form, echoed as sent (filter_object.go)
}

const (
	basipDefaultLimit = 10
	basipMaxLimit     = 1000
)

func parseListQuery(r *core.Request, fields []string, def string) (listQuery, error) {
	args := r.Ctx.QueryArgs()
	q := listQuery{limit: basipDefaultLimit, page: 1, field: def, asc: true}
	// camdroid-panels 0.5.0/0.6.0 spell the parameters in camelCase.
	arg := func(name, alias string) []byte {
		if v := args.Peek(name); len(v) > 0 {
			return v
		}
		return args.Peek(alias)
	}
	if err := q.readFilter(args); err != nil {
		return q, err
	}
	if v := args.Peek("limit"); len(v) > 0 {
		// Clients send limits beyond the documented {10,20,30,50}
		// (SmartYard: 50 and 100): any limit from 1 is taken, capped;
		// list_option echoes the limit applied.
		n, err := strconv.Atoi(string(v))
		if errors.Is(err, strconv.ErrRange) && n > 0 {
			n, err = basipMaxLimit, nil
		}
		if err != nil || n < 1 {
			return q, bErr(400, "Wrong query parameter `limit`: an integer from 1")
		}
		q.limit = min(n, basipMaxLimit)
	}
	if v := arg("page_number", "pageNumber"); len(v) > 0 {
		n, err := strconv.Atoi(string(v))
		if err != nil || n < 1 {
			return q, bErr(400, "Wrong query parameter `page_number`: an integer from 1")
		}
		q.page = n
	}
	field, order, param := string(arg("sort_field", "sortField")), strings.ToLower(string(arg("sort_type", "sortType"))), "sort_field"
	if ob := strings.TrimSpace(string(args.Peek("order_by"))); ob != "" && field == "" && order == "" {
		// camdroid firmwares: order_by=<field>[, <field>…] [asc|desc].
		// doord sorts by the first field (ties by uid).
		param = "order_by"
		if i := strings.LastIndexByte(ob, ' '); i > 0 {
			if o := strings.ToLower(ob[i+1:]); o == "asc" || o == "desc" {
				ob, order = strings.TrimSpace(ob[:i]), o
			}
		}
		field, _, _ = strings.Cut(ob, ",")
		if field = strings.TrimSpace(field); field == "" {
			return q, bErr(400, "Wrong query parameter `order_by`: <field>[, <field>…] [asc|desc]")
		}
	}
	if field != "" {
		if !slices.Contains(fields, field) {
			return q, bErr(400, "Wrong query parameter `"+param+"`: one of "+strings.Join(fields, ", "))
		}
		q.field = field
	}
	switch order {
	case "", "asc":
	case "desc":
		q.asc = false
	default:
		return q, bErr(400, "Wrong query parameter `sort_type`: asc or desc")
	}
	return q, nil
}

// window is the [lo, hi) slice of total sorted items that page shows.
func (q listQuery) window(total int) (lo, hi int) {
	lo = (q.page - 1) * q.limit
	if q.page-1 > math.MaxInt/q.limit || lo > total {
		lo = total
	}
	return lo, min(lo+q.limit, total)
}

type basipPagination struct {
	TotalItems  int `json:"total_items"`
	ItemsLimit  int `json:"items_limit"`
	TotalPages  int `json:"total_pages"`
	CurrentPage int `json:"current_page"`
}

type basipSort struct {
	Field           string   `json:"field"`
	Asc             bool     `json:"asc"`
	AvailableFields []string `json:"available_fields"`
}

type basipListOption struct {
	Pagination basipPagination `json:"pagination"`
	Filter     any             `json:"filter"` // the filter as sent: a string, or the object form's object
	Sort       basipSort       `json:"sort"`
}

type basipList[T any] struct {
	ListOption basipListOption `json:"list_option"`
	ListItems  []T             `json:"list_items"`
}

func newBasipList[T any](q listQuery, total int, fields []string, items []T) basipList[T] {
	if items == nil {
		items = []T{}
	}
	return basipList[T]{
		ListOption: basipListOption{
			Pagination: basipPagination{TotalItems: total, ItemsLimit: q.limit,
				TotalPages: (total + q.limit - 1) / q.limit, CurrentPage: q.page},
			Filter: q.filterEcho(),
			Sort:   basipSort{Field: q.field, Asc: q.asc, AvailableFields: fields},
		},
		ListItems: items,
	}
}
