// Package console is doord's web console: plain HTML, CSS and ES modules
// under web/, embedded in the binary (no build step, no CDN, no external
// fonts) and served by httpapi at / and /console/*.
//
// It owns the static files and how they are served: content types,
// strict security headers (a Content-Security-Policy of 'self' only, no
// inline script or style, no framing), precomputed gzip, ETags, and
// caching (the page itself is revalidated; its assets are also served
// under a content-hashed path, /console/_/<hash>/…, that is cached as
// immutable). It serves no data: every datum the console shows comes from
// the authenticated /api/v1 API, with the bearer token the page holds.
package console
