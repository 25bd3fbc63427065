package httpapi

import (
	"strconv"
	"strings"
	"testing"

	"github.com/doord/doord/httpapi/metrics/metricstest"
	"github.com/doord/doord/store"
)

const scrapeToken = "scrape-8f1c2a7e9b4d6053"

// GET /metrics: a viewer's token or the scrape token opens it, nothing
// else does, and the scrape token opens nothing else.
func TestMetricsAuth(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ScrapeToken = scrapeToken })
	e.mkOperator("vera", "viewer password 1", store.RoleViewer)
	viewer := e.login("vera", "viewer password 1")

	e.do("GET", "/metrics", "", "").want(401)
	e.do("GET", "/metrics", "not-the-scrape-token", "").want(401)
	e.do("GET", "/metrics", scrapeToken+"x", "").want(401)
	e.do("POST", "/metrics", scrapeToken, "").want(405)
	e.do("GET", "/api/v1/users", scrapeToken, "").want(401)
	for name, tok := range map[string]string{"viewer": viewer, "admin": e.admin, "scrape token": scrapeToken} {
		// Prometheus may ask for the text format only: no 406.
		r := e.do("GET", "/metrics", tok, "", "Accept: text/plain;version=0.0.4")
		if r.status != 200 || !strings.HasPrefix(r.hdr["Content-Type"], "text/plain; version=0.0.4") {
			t.Fatalf("%s: status %d, Content-Type %q, want 200 text/plain; version=0.0.4: %s", name, r.status, r.hdr["Content-Type"], r.body)
		}
	}
	// Without a configured scrape token no bearer string is one.
	e2 := newEnv(t)
	e2.do("GET", "/metrics", "", "").want(401)
}

// The API's requests show up by route pattern (not path) and status, and
// the whole body passes promtool.
func TestMetricsCountRequestsByRouteAndStatus(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ScrapeToken = scrapeToken })
	id := e.do("POST", "/api/v1/users", e.admin, `{"name":"Ann","locks":"both"}`).want(201).str("id")
	e.do("GET", "/api/v1/users/"+id, e.admin, "").want(200)
	e.do("GET", "/api/v1/users/"+id, e.admin, "").want(200)
	e.do("GET", "/api/v1/users/00000000-0000-0000-0000-000000000000", e.admin, "").want(404)
	e.do("GET", "/api/v1/users/"+id, "", "").want(401)
	e.do("GET", "/no/such/path", "", "").want(404)
	bas := e.do("GET", "/api/v1/login", "", "") // a BAS-IP route: counted the same way

	body := e.do("GET", "/metrics", scrapeToken, "").body
	metricstest.Promtool(t, body)
	for series, want := range map[string]float64{
		`doord_http_requests_total{route="/api/v1/users",method="POST",status="201"}`:        1,
		`doord_http_requests_total{route="/api/v1/users/{id}",method="GET",status="200"}`:    2,
		`doord_http_requests_total{route="/api/v1/users/{id}",method="GET",status="404"}`:    1,
		`doord_http_requests_total{route="/api/v1/users/{id}",method="GET",status="401"}`:    1,
		`doord_http_requests_total{route="unmatched",method="GET",status="404"}`:             1,
		`doord_http_request_duration_seconds_count{route="/api/v1/users/{id}",method="GET"}`: 4,
	} {
		if got := metricstest.Value(t, body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	basSeries := `doord_http_requests_total{route="/api/v1/login",method="GET",status="` + strconv.Itoa(bas.status) + `"}`
	if got := metricstest.Value(t, body, basSeries); got != 1 {
		t.Errorf("%s = %v, want 1", basSeries, got)
	}
	if strings.Contains(string(body), id) {
		t.Errorf("a raw path (with the user's id) is a label:\n%s", body)
	}
	// The store's figures are there; sessions count the admin's login.
	if got := metricstest.Value(t, body, "doord_sessions"); got != 1 {
		t.Errorf("doord_sessions = %v, want 1", got)
	}
	if got := metricstest.Value(t, body, "doord_store_sequence"); got < 1 {
		t.Errorf("doord_store_sequence = %v, want ≥ 1 after a create", got)
	}
	// The scrape itself is counted, by the next scrape.
	body = e.do("GET", "/metrics", scrapeToken, "").body
	if got := metricstest.Value(t, body, `doord_http_requests_total{route="/metrics",method="GET",status="200"}`); got != 1 {
		t.Errorf("scrapes counted %v, want 1", got)
	}
}
