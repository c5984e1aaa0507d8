// Package web holds the HTML templates and static assets, embedded in the
// binary: no CDN, nothing fetched at run time.
package web

import "embed"

// Templates holds the page templates.
//
//go:embed templates/*.html
var Templates embed.FS

// Static holds the stylesheet and other assets served under /static/.
//
//go:embed static
var Static embed.FS
