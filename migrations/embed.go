// Package migrations embeds the versioned SQL migrations (goose format) so
// that the binary can migrate its database without files beside it.
package migrations

import "embed"

// FS holds every migration, named NNNNN_description.sql.
//
//go:embed *.sql
var FS embed.FS
