package server

import (
	"encoding/json"
	"net/http"
)

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	// Error says what is wrong, in a sentence a client developer can act on.
	Error string `json:"error"`
	// Details lists each invalid field when there are several problems.
	Details []FieldProblem `json:"details,omitempty"`
	// RequestID matches the X-Request-ID header and the log line.
	RequestID string `json:"request_id"`
}

// FieldProblem is one invalid field of a request body or query.
type FieldProblem struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client has gone if this fails
}

func writeError(w http.ResponseWriter, r *http.Request, status int, msg string, details []FieldProblem) {
	writeJSON(w, status, ErrorBody{Error: msg, Details: details, RequestID: RequestID(r.Context())})
}
