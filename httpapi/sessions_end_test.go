package httpapi

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/auth"
	"github.com/pquerna/otp/totp"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// tokenState says what a token is worth now, through GET /api/v1/session:
// "native" (a native session), "basip" (a live BAS-IP-only token, 403
// there) or "dead" (401).
func (e *env) tokenState(tok string) string {
	e.t.Helper()
	switch r := e.do("GET", "/api/v1/session", tok, ""); r.status {
	case 200:
		return "native"
	case 403:
		return "basip"
	case 401:
		return "dead"
	default:
		e.t.Fatalf("GET /api/v1/session: status %d: %s", r.status, r.body)
		return ""
	}
}

// TestOperatorChangesEndSessions goes over every change to an operator:
// those that take something away (disable, delete, demote, expire, a new
// password set by an admin, a TOTP change) end every session it has,
// native and BAS-IP, for good: undoing the change, or a restart that
// empties the session cache, does not bring them back. Changes that take
// nothing away keep them.
func TestOperatorChangesEndSessions(t *testing.T) {
	const bobPW = "bob's long password"
	cases := []struct {
		name   string
		change func(e *env, id string)
		undo   func(e *env, id string) // nil: nothing to undo
		ends   bool
		mfa    bool // bob has a confirmed TOTP before he logs in
	}{
		{"disable", func(e *env, id string) { e.patchOp(id, `{"enabled":false}`) },
			func(e *env, id string) { e.patchOp(id, `{"enabled":true}`) }, true, false},
		{"delete", func(e *env, id string) { e.do("DELETE", "/api/v1/operators/"+id, e.admin, "").want(204) },
			func(e *env, id string) { e.mkOperator("bob", bobPW, store.RoleOperator) }, true, false},
		{"demote", func(e *env, id string) { e.patchOp(id, `{"role":"viewer"}`) },
			func(e *env, id string) { e.patchOp(id, `{"role":"operator"}`) }, true, false},
		{"expire", func(e *env, id string) { e.patchOp(id, `{"expired":true}`) },
			func(e *env, id string) { e.patchOp(id, `{"expired":false}`) }, true, false},
		{"admin sets the password", func(e *env, id string) { e.patchOp(id, `{"password":"a new password by admin"}`) },
			func(e *env, id string) { e.patchOp(id, `{"password":"`+bobPW+`"}`) }, true, false},
		{"admin enrols TOTP", func(e *env, id string) { e.do("POST", "/api/v1/operators/"+id+"/totp", e.admin, "").want(200) },
			func(e *env, id string) { e.patchOp(id, `{"mfa":false}`) }, true, false},
		{"admin removes TOTP", func(e *env, id string) { e.patchOp(id, `{"mfa":false}`) }, nil, true, true},
		{"promote", func(e *env, id string) { e.patchOp(id, `{"role":"admin"}`) }, nil, false, false},
		{"lift a lockout", func(e *env, id string) { e.patchOp(id, `{"locked":false}`) }, nil, false, false},
	}
	// -short (the ARM runs under qemu, where each case's three argon2
	// logins take seconds) keeps one change that ends the sessions, the
	// one with TOTP, and one that does not; amd64 runs them all.
	shortCases := map[string]bool{"disable": true, "admin removes TOTP": true, "promote": true}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && !shortCases[c.name] {
				t.Skip("-short: the other session-ending changes run on amd64")
			}
			e := newEnv(t)
			e.mkOperator("bob", bobPW, store.RoleOperator)
			id := e.opID("bob")
			var native, basip string
			if c.mfa {
				secret, _, _ := auth.NewTOTPSecret("doord", "bob")
				if _, err := e.st.UpdateOperator(e.opNum("bob"), func(o *store.Operator) error {
					o.TOTPSecret, o.TOTPConfirmed = secret, true
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				code, _ := totp.GenerateCode(secret, e.clock())
				native = e.do("POST", "/api/v1/session", "", `{"username":"bob","password":"`+bobPW+`","totp":"`+code+`"}`).want(201).str("token")
				e.advance(30 * time.Second) // a code works once
				code, _ = totp.GenerateCode(secret, e.clock())
				basip = e.do("GET", "/api/v1/login?username=bob&password="+auth.MD5Hex(bobPW)+"&totp="+code, "", "").bwant(200, "").str("token")
			} else {
				native, basip = e.login("bob", bobPW), e.basipLogin("bob", bobPW)
			}
			c.change(e, id)
			want := map[string]string{native: "native", basip: "basip"}
			if c.ends {
				want = map[string]string{native: "dead", basip: "dead"}
			}
			check := func(when string) {
				t.Helper()
				for tok, w := range want {
					if got := e.tokenState(tok); got != w {
						t.Errorf("%s: token is %s, want %s", when, got, w)
					}
				}
			}
			check("after the change")
			if c.undo != nil {
				c.undo(e, id)
				check("after undoing it")
			}
			e.restart()
			check("after a restart")
		})
	}
}

func (e *env) patchOp(id, body string) {
	e.t.Helper()
	e.do("PATCH", "/api/v1/operators/"+id, e.admin, body).want(200)
}

func (e *env) opID(name string) string { return itoa(e.opNum(name)) }

func (e *env) opNum(name string) uint64 {
	e.t.Helper()
	o, err := e.st.GetOperatorByUsername(name)
	if err != nil {
		e.t.Fatal(err)
	}
	return o.ID
}

// TestOwnPasswordChangeEndsEverySessionButAnswersANewOne: an operator
// changing its own password ends all of its sessions, native and BAS-IP,
// the one it used for the change too; the answer's new token is the one
// that goes on working, also after a restart.
func TestOwnPasswordChangeEndsEverySessionButAnswersANewOne(t *testing.T) {
	const bobPW = "bob's long password"
	e := newEnv(t)
	e.mkOperator("bob", bobPW, store.RoleOperator)
	used, other, basip := e.login("bob", bobPW), e.login("bob", bobPW), e.basipLogin("bob", bobPW)
	next := e.do("POST", "/api/v1/operators/me/password", used,
		`{"current_password":"`+bobPW+`","new_password":"bob's newer password"}`).want(200).str("token")
	for _, restart := range []bool{false, true} {
		if restart {
			e.restart()
		}
		for name, tok := range map[string]string{"used": used, "other": other, "basip": basip} {
			if got := e.tokenState(tok); got != "dead" {
				t.Errorf("restart %v: the %s token is %s, want dead", restart, name, got)
			}
		}
		if got := e.tokenState(next); got != "native" {
			t.Errorf("restart %v: the answer's token is %s, want native", restart, got)
		}
	}
}

// TestSessionsPerOperatorAreBounded: logging in again and again keeps at
// most MaxSessionsPerOperator sessions of one operator, on disk and in
// memory; the oldest end first, other operators' are untouched.
func TestSessionsPerOperatorAreBounded(t *testing.T) {
	const bobPW = "bob's long password"
	e := newEnv(t, func(c *Config) { c.MaxSessionsPerOperator = 3 })
	e.mkOperator("bob", bobPW, store.RoleOperator)
	var toks []string
	for i := 0; i < 6; i++ {
		if i%2 == 0 {
			toks = append(toks, e.login("bob", bobPW))
		} else {
			toks = append(toks, e.basipLogin("bob", bobPW))
		}
		e.advance(time.Second) // distinct creation times: "oldest" is well defined
	}
	sess, err := e.st.OperatorSessions(e.opNum("bob"))
	if err != nil || len(sess) != 3 {
		t.Fatalf("bob has %d sessions on disk (%v), want 3", len(sess), err)
	}
	want := []string{"dead", "dead", "dead", "basip", "native", "basip"}
	for i, tok := range toks {
		if got := e.tokenState(tok); got != want[i] {
			t.Errorf("login %d: token is %s, want %s", i, got, want[i])
		}
	}
	if got := e.tokenState(e.admin); got != "native" {
		t.Errorf("admin's token is %s, want native", got)
	}
	e.srv.mu.RLock()
	n := 0
	for _, si := range e.srv.sessions {
		if si.username == "bob" {
			n++
		}
	}
	e.srv.mu.RUnlock()
	if n > 3 {
		t.Errorf("%d of bob's sessions cached, want at most 3", n)
	}
}

// TestExpiredSessionsArePurgedOnATimer: without anyone presenting them,
// expired sessions leave the store and the cache on the janitor's next
// tick, and live ones stay.
func TestExpiredSessionsArePurgedOnATimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := storetest.Open(t)
		srv := New(st, Config{TokenTTL: time.Hour, SessionPurgeInterval: 10 * time.Minute, Now: time.Now}, nil, Parts{})
		defer srv.unsub()
		op := store.Operator{Username: "bob", Role: store.RoleOperator, Enabled: true}
		if err := st.CreateOperator(&op); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		defer close(stop)
		go srv.sessionJanitor(srv.cfg.SessionPurgeInterval, stop)
		old, err := srv.newSession(&op)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Minute) // fake time: synctest
		young, err := srv.newSession(&op)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(25 * time.Minute) // 55 min: nothing has expired yet
		synctest.Wait()
		if _, err := st.GetSession(old.TokenHash); err != nil {
			t.Fatalf("a live session was purged: %v", err)
		}
		time.Sleep(10 * time.Minute) // 65 min: old expired at 60, the tick at 60 purged it
		synctest.Wait()
		if _, err := st.GetSession(old.TokenHash); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the expired session is on disk after the janitor's tick: %v", err)
		}
		if _, err := st.GetSession(young.TokenHash); err != nil {
			t.Errorf("the live session was purged: %v", err)
		}
		srv.mu.RLock()
		_, cached := srv.sessions[old.TokenHash]
		_, youngCached := srv.sessions[young.TokenHash]
		srv.mu.RUnlock()
		if cached || !youngCached {
			t.Errorf("cache holds the expired session: %v, the live one: %v; want false, true", cached, youngCached)
		}
	})
}
