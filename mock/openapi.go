package mock

import (
	_ "embed"
	"encoding/json"
	"net/http"
)

// openAPIDocument is the OpenAPI 3.1 description of the sandbox control
// API (GET /sandbox/openapi.json). It is written by hand so that it can say
// what the handlers mean, not only what they accept; the tests keep it in
// step with sandboxRoutes and with the JSON of the types the handlers return.
//
//go:embed openapi.json
var openAPIDocument []byte

// sbOpenAPI serves the document through the sandbox's one writer, like
// every other control endpoint, so the token check and the error shape stay
// in one place; the writer re-encodes it, so it goes out compact.
func (s *Server) sbOpenAPI(*http.Request) reply { return ok(json.RawMessage(openAPIDocument)) }
