// Package ui is mockpay's QA dashboard: one page, served at /sandbox/ui/,
// where QA watches orders, callbacks, requests, the clock and scenarios
// change live and plays the WeChat user with a click. The page reads and
// drives the sandbox control API and follows GET /sandbox/events; it holds
// no data of its own, so it is served without the sandbox token and asks
// for the token when the API wants one.
//
// Its files are plain HTML, CSS and JavaScript, embedded in the binary:
// there is no build step, and nothing is fetched from anywhere else.
package ui

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed assets
var assets embed.FS

// Handler serves the dashboard's files, index.html at the root; mount it
// with its prefix stripped (http.StripPrefix("/sandbox/ui", ...)).
func Handler() http.Handler {
	files, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // "assets" is embedded above: a build without it does not compile
	}
	serve := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// A new mockpay's page replaces the old one at once.
		h.Set("Cache-Control", "no-cache")
		// The page loads only its own files and talks only to its own
		// server, which is also what keeps data shown on it from ever
		// running as script.
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		serve.ServeHTTP(w, r)
	})
}
