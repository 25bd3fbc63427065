package core

import (
	"bytes"
	"encoding/json"

	"github.com/valyala/fasthttp"
)

// WriteJSON answers with v as JSON.
func WriteJSON(ctx *fasthttp.RequestCtx, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
	return nil
}

// IsNull reports whether a raw JSON value is null.
func IsNull(r json.RawMessage) bool { return string(bytes.TrimSpace(r)) == "null" }
