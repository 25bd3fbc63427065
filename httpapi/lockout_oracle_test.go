package httpapi

import (
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/store"
	"github.com/pquerna/otp/totp"
)

// attempt is what a client can observe of one failed login.
type attempt struct {
	status     int
	retryAfter string
	body       string
	hashes     int64 // password hashes the server computed for it
}

// TestLockoutAnswersDoNotTellWhichNamesExist: a run of wrong passwords for
// an operator and for a name that is not one gets the same answers, one
// for one (status, Retry-After, body) and costs the server the same
// number of password hashes, native and BAS-IP; both locks end at the same
// time.
func TestLockoutAnswersDoNotTellWhichNamesExist(t *testing.T) {
	for _, dialect := range []string{"native", "basip"} {
		t.Run(dialect, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.LoginFailuresPerIP = -1 })
			e.mkOperator("bob", "bob's long password", store.RoleOperator)
			try := func(name string) attempt {
				before := auth.PasswordHashes()
				var r resp
				if dialect == "native" {
					r = e.do("POST", "/api/v1/session", "", `{"username":"`+name+`","password":"not the password"}`)
				} else {
					r = e.do("GET", "/api/v1/login?username="+url.QueryEscape(name)+"&password="+auth.MD5Hex("not the password"), "", "")
				}
				return attempt{r.status, r.hdr["Retry-After"], string(r.body), auth.PasswordHashes() - before}
			}
			run := func(name string) []attempt {
				var out []attempt
				for range auth.DefaultLockout.Threshold + 2 {
					out = append(out, try(name))
				}
				e.advance(auth.DefaultLockout.Duration + time.Second)
				return append(out, try(name))
			}
			known, unknown := run("bob"), run("ghost")
			if len(known) != len(unknown) {
				t.Fatal("runs of different lengths")
			}
			locked := 0
			for i := range known {
				if known[i] != unknown[i] {
					t.Errorf("attempt %d: known name %+v, unknown name %+v", i, known[i], unknown[i])
				}
				if known[i].status == 429 {
					locked++
				}
			}
			if locked != 2 || known[len(known)-1].status != 401 {
				t.Errorf("the run shows %d locked answers and ends with %d, want 2 and 401: %+v", locked, known[len(known)-1].status, known)
			}
		})
	}
}

// TestConcurrentLoginFloodChecksAtMostTheLimit: many wrong logins at once
// from one address get at most LoginFailuresPerIP password checks: each
// attempt is reserved before its hash. Correct logins give their attempt
// back.
func TestConcurrentLoginFloodChecksAtMostTheLimit(t *testing.T) {
	const limit = 5
	e := newEnv(t, func(c *Config) {
		c.LoginFailuresPerIP = limit
		c.Lockout = auth.LockoutPolicy{Threshold: 1000, Duration: time.Minute} // only the address throttle here
	})
	e.mkOperator("bob", "bob's long password", store.RoleOperator)
	// Correct logins, more than the limit, are never throttled.
	for range limit + 2 {
		e.login("bob", "bob's long password")
	}
	before := auth.PasswordHashes()
	statuses := e.guessAtOnce(40, func(i int) string { return []string{"bob", "ghost"}[i%2] })
	if got := auth.PasswordHashes() - before; got > limit {
		t.Errorf("%d password checks for a flood of 40, want at most %d", got, limit)
	}
	if statuses[401] != limit || statuses[429] != 40-limit {
		t.Errorf("statuses %v, want %d×401 and %d×429", statuses, limit, 40-limit)
	}
}

// TestPasswordChecksOutsideLoginCountTowardLockout: guessing the current
// password through the password change or the TOTP routes, with a valid
// token, locks the operator as wrong logins do; and a token alone cannot
// remove or replace the second factor.
func TestPasswordChecksOutsideLoginCountTowardLockout(t *testing.T) {
	const bobPW = "bob's long password"
	e := newEnv(t, func(c *Config) {
		c.LoginFailuresPerIP = -1
		c.Lockout = auth.LockoutPolicy{Threshold: 3, Duration: time.Minute}
	})
	e.mkOperator("bob", bobPW, store.RoleOperator)
	tok := e.login("bob", bobPW)
	e.do("POST", "/api/v1/operators/me/password", tok, `{"current_password":"guess one is wrong","new_password":"a brand new password"}`).want(422)
	e.do("POST", "/api/v1/operators/me/totp", tok, `{"current_password":"guess two is wrong"}`).want(422)
	e.do("DELETE", "/api/v1/operators/me/totp", tok, `{"current_password":"guess three is wrong"}`).want(422)
	// Locked now: even the right password is refused, here and at login.
	e.do("POST", "/api/v1/operators/me/password", tok, `{"current_password":"`+bobPW+`","new_password":"a brand new password"}`).want(429)
	e.do("POST", "/api/v1/session", "", `{"username":"bob","password":"`+bobPW+`"}`).want(429)
	e.advance(time.Minute + time.Second)

	// Enrol with the password, confirm; then removing or replacing it
	// needs the password or a current code, not the token alone.
	secret := e.do("POST", "/api/v1/operators/me/totp", tok, `{"current_password":"`+bobPW+`"}`).want(200).str("secret")
	code, _ := totp.GenerateCode(secret, e.clock())
	e.do("POST", "/api/v1/operators/me/totp/confirm", tok, `{"code":"`+code+`"}`).want(200)
	e.do("DELETE", "/api/v1/operators/me/totp", tok, "").want(422)
	e.do("POST", "/api/v1/operators/me/totp", tok, "").want(422)
	e.do("DELETE", "/api/v1/operators/me/totp", tok, `{"code":"`+code+`"}`).want(422) // spent
	e.advance(30 * time.Second)
	code, _ = totp.GenerateCode(secret, e.clock())
	if o := e.do("DELETE", "/api/v1/operators/me/totp", tok, `{"code":"`+code+`"}`).want(200).json(); o["mfa"] != false {
		t.Fatalf("mfa still on: %v", o)
	}
	// An admin's own password and second factor are not changed through
	// the admin route with a token alone either.
	r := e.do("PATCH", "/api/v1/operators/me", e.admin, `{"password":"an admin's new password"}`).want(422)
	r2 := e.do("PATCH", "/api/v1/operators/"+e.opID("admin"), e.admin, `{"mfa":false}`).want(422)
	if f := r.fields(); len(f) != 1 || f[0] != "password" {
		t.Errorf("fields %v, want [password]", f)
	}
	if f := r2.fields(); len(f) != 1 || f[0] != "mfa" {
		t.Errorf("fields %v, want [mfa]", f)
	}
}

// TestConcurrentGuessesAtOneNameStopAtTheThreshold: simultaneous wrong
// passwords for one username, from anywhere, get at most the lockout
// threshold of password checks: checks for one name run one at a time,
// each seeing the failures before it. The same for a name that is not an
// operator.
func TestConcurrentGuessesAtOneNameStopAtTheThreshold(t *testing.T) {
	for _, name := range []string{"bob", "ghost"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.LoginFailuresPerIP = -1 })
			e.mkOperator("bob", "bob's long password", store.RoleOperator)
			before := auth.PasswordHashes()
			statuses := e.guessAtOnce(20, func(int) string { return name })
			th := auth.DefaultLockout.Threshold
			if got := auth.PasswordHashes() - before; got > int64(th) {
				t.Errorf("%d password checks for 20 simultaneous guesses, want at most %d", got, th)
			}
			if statuses[401] != th || statuses[429] != 20-th {
				t.Errorf("statuses %v, want %d×401 and %d×429", statuses, th, 20-th)
			}
		})
	}
}

// guessAtOnce sends n wrong-password logins at the same time, the i-th
// for name(i), and counts the answers' statuses.
func (e *env) guessAtOnce(n int, name func(i int) string) map[int]int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do("POST", "/api/v1/session", "", `{"username":"`+name(i)+`","password":"guess number `+fmt.Sprint(i)+`"}`)
			mu.Lock()
			statuses[r.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return statuses
}
