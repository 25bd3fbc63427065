package basip_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/httpapi"
	"github.com/doord/doord/store"
)

// HTTP Basic on the BAS-IP routes (issue 12, item 1): the panels that
// send "Authorization: Basic base64(username:password)" on every call.

const bobPW = "operator password 1"

func TestBasipBasicAuthWorksOnBasipRoutes(t *testing.T) {
	e := newEnv(t)
	e.mkOperator("bob", bobPW, store.RoleOperator)
	basic := basicAuth("bob", bobPW)
	uid := e.do("POST", "/api/v1/access/user", "", userAda, basic).bwant(200, "").num("item_uid")
	e.do("GET", fmt.Sprintf("/api/v1/access/users/item/%d", uid), "", "", basic).bwant(200, "")
	e.do("GET", "/api/v1/access/users/list", "", "", basic).bwant(200, "")
	// The write was the operator's (created_by), as with a token.
	u, err := e.st.GetUserByUID(uid)
	if err != nil || u.CreatedBy != "bob" {
		t.Fatalf("user %+v, %v: want created by bob", u, err)
	}
	// A viewer reads with Basic but does not write.
	e.mkOperator("vic", "viewer password 1", store.RoleViewer)
	view := basicAuth("vic", "viewer password 1")
	e.do("GET", "/api/v1/access/users/list", "", "", view).bwant(200, "")
	e.do("POST", "/api/v1/access/user", "", userAda, view).bwant(403, bodyAdmin)
}

func TestBasipBasicWrongPasswordCountsTowardLockout(t *testing.T) {
	e := newEnv(t)
	e.mkOperator("bob", bobPW, store.RoleOperator)
	// Malformed, unknown, wrong: the same 401 {"error":"Log In"}.
	for _, h := range []string{
		"Authorization: Basic !!notbase64",
		basicAuth("bob", ""),
		basicAuth("nobody", bobPW),
	} {
		r := e.do("GET", "/api/v1/access/users/list", "", "", h).bwant(401, bodyLogIn)
		if r.hdr["Retry-After"] != "" {
			t.Fatalf("%s: Retry-After %q", h, r.hdr["Retry-After"])
		}
	}
	// Five wrong passwords (auth.DefaultLockout) lock bob: the native
	// login then says so, which proves each Basic failure counted.
	for i := 0; i < auth.DefaultLockout.Threshold; i++ {
		e.do("GET", "/api/v1/access/users/list", "", "", basicAuth("bob", "wrong password")).bwant(401, bodyLogIn)
	}
	op, err := e.st.GetOperatorByUsername("bob")
	if err != nil || op.FailedLogins != auth.DefaultLockout.Threshold || op.LockStart == nil {
		t.Fatalf("after %d Basic failures: failed_logins %d, lock_start %v (%v)", auth.DefaultLockout.Threshold, op.FailedLogins, op.LockStart, err)
	}
	e.do("POST", "/api/v1/session", "", `{"username":"bob","password":"`+bobPW+`"}`).want(429)
}

func TestBasipBasicLockedAccountIsIndistinguishable(t *testing.T) {
	e := newEnv(t)
	e.mkOperator("bob", bobPW, store.RoleOperator)
	for i := 0; i < auth.DefaultLockout.Threshold; i++ {
		e.do("GET", "/api/v1/access/users/list", "", "", basicAuth("bob", "wrong password")).bwant(401, bodyLogIn)
	}
	// Locked: the right password answers exactly as a wrong one, and as a
	// name that is not an operator.
	right := e.do("GET", "/api/v1/access/users/list", "", "", basicAuth("bob", bobPW)).bwant(401, bodyLogIn)
	wrong := e.do("GET", "/api/v1/access/users/list", "", "", basicAuth("bob", "wrong again")).bwant(401, bodyLogIn)
	unknown := e.do("GET", "/api/v1/access/users/list", "", "", basicAuth("nobody", bobPW)).bwant(401, bodyLogIn)
	for _, r := range []resp{right, wrong, unknown} {
		if r.hdr["Retry-After"] != "" || r.hdr["WWW-Authenticate"] != right.hdr["WWW-Authenticate"] {
			t.Fatalf("%s: headers %v differ from the locked answer's %v", r.req, r.hdr, right.hdr)
		}
	}
	// Once the lock is over the right password works again.
	e.advance(auth.DefaultLockout.Duration + time.Second)
	e.do("GET", "/api/v1/access/users/list", "", "", basicAuth("bob", bobPW)).bwant(200, "")
}

func TestBasipBasicRefusedOnNativeRoutes(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v1/users", "", "", basicAuth("admin", adminPW)).want(401)
	if !strings.HasPrefix(r.hdr["WWW-Authenticate"], "Bearer") {
		t.Fatalf("WWW-Authenticate %q, want Bearer", r.hdr["WWW-Authenticate"])
	}
	// Nor is the password checked there: no failure is counted.
	op, _ := e.st.GetOperatorByUsername("admin")
	if op.FailedLogins != 0 {
		t.Fatalf("failed_logins %d after Basic on a native route", op.FailedLogins)
	}
}

func TestBasipBasicRefusedWithTOTP(t *testing.T) {
	e := newEnv(t)
	e.mkOperator("bob", bobPW, store.RoleOperator)
	secret, _, _ := auth.NewTOTPSecret("doord", "bob")
	op, _ := e.st.GetOperatorByUsername("bob")
	if _, err := e.st.UpdateOperator(op.ID, func(o *store.Operator) error {
		o.TOTPSecret, o.TOTPConfirmed = secret, true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.do("GET", "/api/v1/access/users/list", "", "", basicAuth("bob", bobPW)).bwant(401, bodyLogIn)
	if op, _ = e.st.GetOperatorByUsername("bob"); op.FailedLogins != 1 {
		t.Fatalf("failed_logins %d, want 1: Basic without a code counts as a login without one", op.FailedLogins)
	}
}

// The verified-credential cache never outlives a change to the operator.
func TestBasipBasicCacheForgetsChangedOperators(t *testing.T) {
	e := newEnv(t)
	e.mkOperator("bob", bobPW, store.RoleOperator)
	basic := basicAuth("bob", bobPW)
	e.do("GET", "/api/v1/access/users/list", "", "", basic).bwant(200, "")
	op, _ := e.st.GetOperatorByUsername("bob")
	id := fmt.Sprint(op.ID)
	e.do("PATCH", "/api/v1/operators/"+id, e.admin, `{"password":"a new password by admin"}`).want(200)
	e.do("GET", "/api/v1/access/users/list", "", "", basic).bwant(401, bodyLogIn)
	e.do("GET", "/api/v1/access/users/list", "", "", basicAuth("bob", "a new password by admin")).bwant(200, "")
	e.do("PATCH", "/api/v1/operators/"+id, e.admin, `{"enabled":false}`).want(200)
	e.do("GET", "/api/v1/access/users/list", "", "", basicAuth("bob", "a new password by admin")).bwant(403, "")
	// And it expires by itself.
	e.do("PATCH", "/api/v1/operators/"+id, e.admin, `{"enabled":true}`).want(200)
	e.do("GET", "/api/v1/access/users/list", "", "", basicAuth("bob", "a new password by admin")).bwant(200, "")
	if _, err := e.st.UpdateOperator(op.ID, func(o *store.Operator) error { o.Enabled = false; return nil }); err != nil {
		t.Fatal(err) // behind the API's back: only the cache's lifetime ends it
	}
	e.do("GET", "/api/v1/access/users/list", "", "", basicAuth("bob", "a new password by admin")).bwant(200, "")
	e.advance(time.Minute)
	e.do("GET", "/api/v1/access/users/list", "", "", basicAuth("bob", "a new password by admin")).bwant(403, "")
}

// A guess that matches a credential the cache holds (a panel polling with
// Basic keeps it there) is still a login attempt: once the operator is
// locked, or the address is out of attempts, the right password answers
// as a wrong one, cached or not. Otherwise the lockout and the throttle
// stop nothing: every miss is refused cheaply, every hit answers 200.
func TestBasipBasicCacheHonoursLockoutAndThrottle(t *testing.T) {
	e := newEnv(t)
	e.mkOperator("bob", bobPW, store.RoleOperator)
	panel := basicAuth("bob", bobPW)
	e.do("GET", "/api/v1/access/users/list", "", "", panel).bwant(200, "") // cached now
	for i := 0; i < auth.DefaultLockout.Threshold; i++ {
		e.do("GET", "/api/v1/access/users/list", "", "", basicAuth("bob", fmt.Sprint("guess ", i))).bwant(401, bodyLogIn)
	}
	e.do("GET", "/api/v1/access/users/list", "", "", panel).bwant(401, bodyLogIn)
	e.advance(auth.DefaultLockout.Duration + time.Second)
	e.do("GET", "/api/v1/access/users/list", "", "", panel).bwant(200, "")

	t.Run("throttle", func(t *testing.T) {
		e := newEnv(t, func(c *httpapi.Config) { c.LoginFailuresPerIP = 3 })
		e.mkOperator("bob", bobPW, store.RoleOperator)
		e.do("GET", "/api/v1/access/users/list", "", "", panel).bwant(200, "")
		for i := 0; i < 3; i++ {
			e.do("GET", "/api/v1/access/users/list", "", "", basicAuth(fmt.Sprint("nobody", i), "x")).bwant(401, bodyLogIn)
		}
		e.do("GET", "/api/v1/access/users/list", "", "", panel).bwant(401, bodyLogIn)
	})
}
