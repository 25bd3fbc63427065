package console

import (
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// serve runs the console handler on a real fasthttp server over an
// in-memory listener and returns a client for it.
func serve(t *testing.T) *fasthttp.Client {
	t.Helper()
	h := New()
	ln := fasthttputil.NewInmemoryListener()
	srv := &fasthttp.Server{Handler: h.Serve}
	go srv.Serve(ln) //nolint:errcheck // ends with Shutdown
	t.Cleanup(func() { srv.Shutdown(); ln.Close() })
	return &fasthttp.Client{Dial: func(string) (net.Conn, error) { return ln.Dial() }}
}

type answer struct {
	status int
	hdr    map[string]string
	body   []byte
}

func get(t *testing.T, c *fasthttp.Client, method, path string, hdr ...string) answer {
	t.Helper()
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	req.SetRequestURI("http://doord" + path)
	req.Header.SetMethod(method)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if err := c.DoTimeout(req, res, 10*time.Second); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	a := answer{status: res.StatusCode(), hdr: map[string]string{}, body: append([]byte(nil), res.Body()...)}
	res.Header.VisitAll(func(k, v []byte) { a.hdr[string(k)] = string(v) })
	a.hdr["ETag"] = string(res.Header.Peek("ETag")) // fasthttp spells it Etag
	return a
}

// Every console answer carries the strict headers; the page, its script,
// its style and its icon are served with their types.
func TestConsoleServesItsFilesWithTypesAndStrictHeaders(t *testing.T) {
	c := serve(t)
	for path, ctype := range map[string]string{
		"/":                   "text/html; charset=utf-8",
		"/console/app.js":     "text/javascript; charset=utf-8",
		"/console/people.js":  "text/javascript; charset=utf-8",
		"/console/app.css":    "text/css; charset=utf-8",
		"/console/icon.svg":   "image/svg+xml",
		"/console/nothing.js": "text/plain; charset=utf-8", // the 404's
	} {
		a := get(t, c, "GET", path)
		if want := 200; path == "/console/nothing.js" {
			if a.status != 404 {
				t.Errorf("GET %s: %d, want 404", path, a.status)
			}
		} else if a.status != want {
			t.Errorf("GET %s: %d, want %d", path, a.status, want)
		}
		if a.hdr["Content-Type"] != ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", path, a.hdr["Content-Type"], ctype)
		}
		for k, want := range map[string]string{
			"Content-Security-Policy": CSP,
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"X-Frame-Options":         "DENY",
		} {
			if a.hdr[k] != want {
				t.Errorf("GET %s: %s %q, want %q", path, k, a.hdr[k], want)
			}
		}
	}
	// The policy allows nothing inline and no framing.
	for _, must := range []string{"default-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(CSP, must) {
			t.Errorf("CSP lacks %q", must)
		}
	}
	if strings.Contains(CSP, "unsafe-inline") || strings.Contains(CSP, "unsafe-eval") {
		t.Errorf("CSP allows inline code: %s", CSP)
	}
}

// The files hold no inline script, style or handler that the policy
// would block (the page would break under its own CSP), and name no
// other origin (no CDN, no external font).
func TestConsoleFilesNeedNothingTheCSPForbids(t *testing.T) {
	h := New()
	inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>[^<]|<style|\sstyle=|\son[a-z]+=|javascript:`)
	external := regexp.MustCompile(`(?i)(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/|@import|fonts\.googleapis`)
	for name, f := range h.files {
		if strings.HasSuffix(name, ".html") && inline.Match(f.body) {
			t.Errorf("%s: inline script, style or handler: %q", name, inline.Find(f.body))
		}
		if m := external.Find(f.body); m != nil && !strings.HasSuffix(name, ".svg") {
			t.Errorf("%s: names another origin: %q", name, m)
		}
		if strings.HasSuffix(name, ".js") && bytes.Contains(f.body, []byte("setAttribute('style'")) {
			t.Errorf("%s: sets a style attribute, which the CSP blocks", name)
		}
	}
}

// gzip when the client accepts it, the same bytes unpacked; ETag and
// If-None-Match give a 304; the page is revalidated, its versioned
// assets cached for good.
func TestConsoleGzipETagAndCaching(t *testing.T) {
	c := serve(t)
	plain := get(t, c, "GET", "/console/app.js")
	gz := get(t, c, "GET", "/console/app.js", "Accept-Encoding", "gzip, deflate")
	if gz.hdr["Content-Encoding"] != "gzip" || plain.hdr["Content-Encoding"] != "" {
		t.Fatalf("Content-Encoding: gzip %q, plain %q", gz.hdr["Content-Encoding"], plain.hdr["Content-Encoding"])
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.body))
	if err != nil {
		t.Fatal(err)
	}
	un, _ := io.ReadAll(zr)
	if !bytes.Equal(un, plain.body) || len(gz.body) >= len(plain.body) {
		t.Fatalf("gzip body: %d bytes unpacking to %d, plain %d", len(gz.body), len(un), len(plain.body))
	}
	if gz.hdr["Vary"] != "Accept-Encoding" || gz.hdr["ETag"] == plain.hdr["ETag"] {
		t.Errorf("Vary %q; ETags gzip %q plain %q must differ", gz.hdr["Vary"], gz.hdr["ETag"], plain.hdr["ETag"])
	}
	if got := get(t, c, "GET", "/console/app.js", "Accept-Encoding", "gzip;q=0"); got.hdr["Content-Encoding"] != "" {
		t.Errorf("gzip;q=0 still got gzip")
	}
	nm := get(t, c, "GET", "/console/app.js", "If-None-Match", plain.hdr["ETag"])
	if nm.status != 304 || len(nm.body) != 0 {
		t.Errorf("If-None-Match: %d with %d bytes, want 304 and none", nm.status, len(nm.body))
	}
	if cc := plain.hdr["Cache-Control"]; cc != "no-cache" {
		t.Errorf("/console/app.js Cache-Control %q, want no-cache", cc)
	}
	page := get(t, c, "GET", "/")
	if cc := page.hdr["Cache-Control"]; cc != "no-cache" {
		t.Errorf("/ Cache-Control %q, want no-cache", cc)
	}
	v := New().Version()
	want := `src="/console/_/` + v + `/app.js"`
	if !bytes.Contains(page.body, []byte(want)) {
		t.Fatalf("the page does not load its script from the versioned path %s:\n%s", want, page.body)
	}
	imm := get(t, c, "GET", "/console/_/"+v+"/app.js")
	if imm.status != 200 || imm.hdr["Cache-Control"] != "public, max-age=31536000, immutable" || !bytes.Equal(imm.body, plain.body) {
		t.Errorf("versioned asset: %d %q", imm.status, imm.hdr["Cache-Control"])
	}
	old := get(t, c, "GET", "/console/_/0123456789abcdef/app.js")
	if old.status != 200 || old.hdr["Cache-Control"] != "no-cache" {
		t.Errorf("an older version's asset: %d %q, want 200 no-cache", old.status, old.hdr["Cache-Control"])
	}
	head := get(t, c, "HEAD", "/console/app.css")
	if head.status != 200 || len(head.body) != 0 || head.hdr["Content-Type"] != "text/css; charset=utf-8" {
		t.Errorf("HEAD: %d, %d bytes, %q", head.status, len(head.body), head.hdr["Content-Type"])
	}
}

// Unknown console paths are 404s, traversal finds nothing, the page is
// only at /, and writes are refused.
func TestConsoleUnknownPathsAndMethods(t *testing.T) {
	c := serve(t)
	for _, p := range []string{"/console/", "/console/index.html", "/console/nope.js", "/console/../go.mod",
		"/console/_/", "/console/_/x", "/console/web/app.js", "/console/%2e%2e/console.go"} {
		if a := get(t, c, "GET", p); a.status != 404 {
			t.Errorf("GET %s: %d, want 404", p, a.status)
		}
	}
	a := get(t, c, "POST", "/console/app.js")
	if a.status != 405 || a.hdr["Allow"] != "GET, HEAD" {
		t.Errorf("POST: %d Allow %q, want 405 GET, HEAD", a.status, a.hdr["Allow"])
	}
}

// firstLoad is every file the page fetches before it can sign in: the
// page, what it links (style, script, icon), and every module the script
// imports statically, transitively.
func firstLoad(t *testing.T, c *fasthttp.Client) map[string]int {
	t.Helper()
	sizes := map[string]int{}
	page := get(t, c, "GET", "/", "Accept-Encoding", "gzip")
	sizes["/"] = len(page.body)
	un := get(t, c, "GET", "/").body
	refs := regexp.MustCompile(`(?:href|src)="(/console/[^"]+)"`)
	imports := regexp.MustCompile(`(?m)^\s*import\s+(?:[^'"]*?\s+from\s+)?['"]\./([^'"]+)['"]`)
	var queue []string
	for _, m := range refs.FindAllSubmatch(un, -1) {
		queue = append(queue, string(m[1]))
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if _, seen := sizes[p]; seen {
			continue
		}
		a := get(t, c, "GET", p, "Accept-Encoding", "gzip")
		if a.status != 200 {
			t.Fatalf("the first load's %s: %d", p, a.status)
		}
		sizes[p] = len(a.body)
		if strings.HasSuffix(p, ".js") {
			dir := p[:strings.LastIndex(p, "/")+1]
			for _, m := range imports.FindAllSubmatch(get(t, c, "GET", p).body, -1) {
				queue = append(queue, dir+string(m[1]))
			}
		}
	}
	return sizes
}

// The budget: the first load is at most 150 KB gzipped, measured
// on what the server sends.
func TestConsoleFirstLoadWithinBudget(t *testing.T) {
	const budget = 150 * 1024
	c := serve(t)
	sizes := firstLoad(t, c)
	total := 0
	for _, n := range sizes {
		total += n
	}
	if len(sizes) < 10 { // page, css, icon, app.js and the pages' modules
		t.Fatalf("the first load found only %v: the walk misses files", sizes)
	}
	t.Logf("first load: %d files, %d bytes gzipped (budget %d)", len(sizes), total, budget)
	if total > budget {
		t.Fatalf("first load is %d bytes gzipped, over the %d budget: %v", total, budget, sizes)
	}
}
