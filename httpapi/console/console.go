package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"
)

//go:embed web
var webFS embed.FS

// Prefix is where the console's assets are served; Root ("/") serves its
// page.
const (
	Prefix = "/console/"
	Root   = "/"
	// hashed is the assets' immutable path: /console/_/<version>/<file>.
	hashed = Prefix + "_/"
)

// Headers every console answer carries. The policy allows only this
// origin's files: no inline script or style, no framing, no plugin.
const (
	CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

// file is one embedded file, ready to serve.
type file struct {
	body, gz []byte
	ctype    string
	etag     string // of body; gz's is etag with a -gz suffix
}

// Handler serves the embedded console.
type Handler struct {
	files   map[string]*file // by name under web/ ("index.html", "app.js")
	version string           // hash of every file: the immutable path's segment
}

// New is the handler of the embedded files, prepared once per process
// (their gzip, their ETags, and the page rewritten to load its assets from
// the versioned path) and shared by every server.
func New() *Handler { return embedded() }

var embedded = sync.OnceValue(func() *Handler {
	h, err := newFrom(webFS, "web")
	if err != nil {
		panic("console: embedded files: " + err.Error()) // the binary was built broken
	}
	return h
})

func newFrom(fsys fs.FS, root string) (*Handler, error) {
	h := &Handler{files: map[string]*file{}}
	all := sha256.New()
	raw := map[string][]byte{}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, root+"/")
		raw[name] = b
		all.Write([]byte(name))
		all.Write(b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	h.version = hex.EncodeToString(all.Sum(nil))[:16]
	for name, b := range raw {
		if name == "index.html" {
			// The page names its assets by the versioned path, so that
			// they may be cached for good and a new binary's page
			// fetches the new ones.
			b = bytes.ReplaceAll(b, []byte(`"/console/`), []byte(`"`+hashed+h.version+"/"))
		}
		f := &file{body: b, ctype: contentType(name)}
		sum := sha256.Sum256(b)
		f.etag = `"` + hex.EncodeToString(sum[:8]) + `"`
		f.gz = gzipped(b)
		h.files[name] = f
	}
	return h, nil
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".json", ".webmanifest":
		return "application/manifest+json"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Owns reports whether path is the console's: / or under /console/.
func Owns(p string) bool { return p == Root || strings.HasPrefix(p, Prefix) }

// Version is the hash in the assets' immutable path.
func (h *Handler) Version() string { return h.version }

// lookup maps a request path to a file and whether it may be cached as
// immutable.
func (h *Handler) lookup(p string) (f *file, immutable bool) {
	if p == Root {
		return h.files["index.html"], false
	}
	name := strings.TrimPrefix(p, Prefix)
	if rest, ok := strings.CutPrefix(name, "_/"); ok {
		v, n, ok := strings.Cut(rest, "/")
		if !ok {
			return nil, false
		}
		// An older page asking for its own version gets today's file,
		// revalidated rather than pinned.
		name, immutable = n, v == h.version
	}
	if name == "index.html" || name == "" || strings.Contains(name, "..") {
		return nil, false // the page is served at / only
	}
	return h.files[name], immutable
}

// Serve answers GET and HEAD for a path Owns; anything else is 405, an
// unknown file 404.
func (h *Handler) Serve(ctx *fasthttp.RequestCtx) {
	hd := &ctx.Response.Header
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if !ctx.IsGet() && !ctx.IsHead() {
		hd.Set("Allow", "GET, HEAD")
		plain(ctx, fasthttp.StatusMethodNotAllowed, "method not allowed")
		return
	}
	f, immutable := h.lookup(string(ctx.Path()))
	if f == nil {
		plain(ctx, fasthttp.StatusNotFound, "not found")
		return
	}
	body, etag := f.body, f.etag
	hd.Set("Vary", "Accept-Encoding")
	if acceptsGzip(ctx.Request.Header.Peek("Accept-Encoding")) {
		body, etag = f.gz, f.etag[:len(f.etag)-1]+`-gz"`
		hd.Set("Content-Encoding", "gzip")
	}
	hd.Set("ETag", etag)
	if immutable {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	hd.SetContentType(f.ctype)
	if inm := ctx.Request.Header.Peek("If-None-Match"); len(inm) > 0 && etagMatch(inm, etag) {
		hd.Del("Content-Encoding")
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	if ctx.IsHead() {
		hd.SetContentLength(len(body))
		return
	}
	ctx.SetBody(body)
}

func plain(ctx *fasthttp.RequestCtx, status int, msg string) {
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.SetContentType("text/plain; charset=utf-8")
	ctx.SetStatusCode(status)
	ctx.SetBodyString(msg + "\n")
}

// acceptsGzip reads Accept-Encoding: gzip listed and not refused (q=0).
func acceptsGzip(ae []byte) bool {
	for _, part := range strings.Split(string(ae), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

func etagMatch(inm []byte, etag string) bool {
	for _, t := range strings.Split(string(inm), ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
