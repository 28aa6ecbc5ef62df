package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/sample-app/internal/store"
)

// Paging limits for GET /books.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
	MaxPage         = 1_000_000_000
)

// BookRequest is the body of POST /books and PUT /books/{id}. Title, author
// and year are required; isbn is optional.
type BookRequest struct {
	Title  *string `json:"title"`
	Author *string `json:"author"`
	Year   *int    `json:"year"`
	ISBN   *string `json:"isbn,omitempty"`
}

// BookPage is the body of GET /books.
type BookPage struct {
	Items      []store.Book `json:"items"`
	Page       int64        `json:"page"`
	PageSize   int64        `json:"page_size"`
	Total      int64        `json:"total"`
	TotalPages int64        `json:"total_pages"`
}

var attrBookID = attribute.Key("app.book.id")

func (s *Server) listBooks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var problems []FieldProblem
	for k, v := range q {
		switch {
		case k != "page" && k != "page_size":
			problems = append(problems, FieldProblem{k, "is not a query parameter of GET /books; want page and page_size"})
		case len(v) > 1:
			problems = append(problems, FieldProblem{k, fmt.Sprintf("is given %d times; give it once", len(v))})
		}
	}
	page, p := intParam(q, "page", 1, 1, MaxPage)
	problems = append(problems, p...)
	size, p := intParam(q, "page_size", DefaultPageSize, 1, MaxPageSize)
	problems = append(problems, p...)
	if len(problems) > 0 {
		slices.SortFunc(problems, func(a, b FieldProblem) int { return strings.Compare(a.Field, b.Field) })
		writeError(w, r, http.StatusBadRequest, "invalid query: "+summary(problems), problems)
		return
	}
	res, err := s.cfg.Store.List(r.Context(), size, (page-1)*size)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, BookPage{
		Items: res.Items, Page: page, PageSize: size, Total: res.Total,
		TotalPages: (res.Total + size - 1) / size,
	})
}

// intParam reads an optional integer query parameter in [min, max].
func intParam(q url.Values, name string, def, min, max int64) (int64, []FieldProblem) {
	raw := q.Get(name)
	if _, given := q[name]; !given {
		return def, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	switch {
	case err != nil && errors.Is(err, strconv.ErrRange):
		return 0, []FieldProblem{{name, fmt.Sprintf("must be between %d and %d, got %s", min, max, quoteTrunc(raw))}}
	case err != nil:
		return 0, []FieldProblem{{name, fmt.Sprintf("must be an integer, got %s", quoteTrunc(raw))}}
	case n < min || n > max:
		return 0, []FieldProblem{{name, fmt.Sprintf("must be between %d and %d, got %d", min, max, n)}}
	}
	return n, nil
}

func (s *Server) getBook(w http.ResponseWriter, r *http.Request) {
	id, ok := s.bookID(w, r)
	if !ok {
		return
	}
	b, err := s.cfg.Store.Get(r.Context(), id)
	if err != nil {
		s.storeError(w, r, id, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) createBook(w http.ResponseWriter, r *http.Request) {
	in, ok := s.decodeBook(w, r)
	if !ok {
		return
	}
	b, err := s.cfg.Store.Create(r.Context(), in)
	if err != nil {
		s.storeError(w, r, 0, err)
		return
	}
	trace.SpanFromContext(r.Context()).SetAttributes(attrBookID.Int64(b.ID))
	w.Header().Set("Location", "/books/"+strconv.FormatInt(b.ID, 10))
	writeJSON(w, http.StatusCreated, b)
}

func (s *Server) updateBook(w http.ResponseWriter, r *http.Request) {
	id, ok := s.bookID(w, r)
	if !ok {
		return
	}
	in, ok := s.decodeBook(w, r)
	if !ok {
		return
	}
	b, err := s.cfg.Store.Update(r.Context(), id, in)
	if err != nil {
		s.storeError(w, r, id, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) deleteBook(w http.ResponseWriter, r *http.Request) {
	id, ok := s.bookID(w, r)
	if !ok {
		return
	}
	if err := s.cfg.Store.Delete(r.Context(), id); err != nil {
		s.storeError(w, r, id, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// bookID reads the {id} path segment, answering 400 when it is not a
// positive integer.
func (s *Server) bookID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		writeError(w, r, http.StatusBadRequest, fmt.Sprintf("book id must be a positive integer, got %s", quoteTrunc(raw)), nil)
		return 0, false
	}
	trace.SpanFromContext(r.Context()).SetAttributes(attrBookID.Int64(id))
	return id, true
}

// decodeBook reads a BookRequest and checks it, answering 4xx with what is
// wrong: 415 for a non-JSON content type, 413 for an oversized body, 400 for
// malformed JSON, 422 for missing, unknown, wrongly typed or invalid fields.
func (s *Server) decodeBook(w http.ResponseWriter, r *http.Request) (store.BookInput, bool) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			writeError(w, r, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type must be application/json, got %s", quoteTrunc(ct)), nil)
			return store.BookInput{}, false
		}
	}
	var req BookRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(&req)
	if err == nil {
		// One JSON value and nothing after it but white space.
		if _, extra := dec.Token(); extra != io.EOF {
			err = errTrailing
		}
	}
	if err != nil {
		status, msg, details := decodeProblem(err)
		writeError(w, r, status, msg, details)
		return store.BookInput{}, false
	}
	var problems []FieldProblem
	for _, f := range []struct {
		name string
		set  bool
	}{{"title", req.Title != nil}, {"author", req.Author != nil}, {"year", req.Year != nil}} {
		if !f.set {
			problems = append(problems, FieldProblem{f.name, "is required"})
		}
	}
	in := store.BookInput{Title: deref(req.Title), Author: deref(req.Author), ISBN: deref(req.ISBN)}
	if req.Year != nil {
		in.Year = *req.Year
	}
	if err := in.Validate(); err != nil {
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var fe *store.FieldError
			if errors.As(e, &fe) && !slices.ContainsFunc(problems, func(p FieldProblem) bool { return p.Field == fe.Field }) {
				problems = append(problems, FieldProblem{fe.Field, fe.Problem})
			}
		}
	}
	if len(problems) > 0 {
		order := []string{"title", "author", "year", "isbn"}
		slices.SortStableFunc(problems, func(a, b FieldProblem) int {
			return slices.Index(order, a.Field) - slices.Index(order, b.Field)
		})
		writeError(w, r, http.StatusUnprocessableEntity, "invalid book: "+summary(problems), problems)
		return store.BookInput{}, false
	}
	return in, true
}

var errTrailing = errors.New("trailing data")

func decodeProblem(err error) (int, string, []FieldProblem) {
	var (
		syntax   *json.SyntaxError
		typeErr  *json.UnmarshalTypeError
		tooLarge *http.MaxBytesError
	)
	switch {
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than the limit of %d bytes", tooLarge.Limit), nil
	case errors.Is(err, io.EOF):
		return http.StatusBadRequest, "request body is empty; want a JSON object with title, author and year", nil
	case errors.Is(err, io.ErrUnexpectedEOF):
		return http.StatusBadRequest, "malformed JSON: the body ends before the JSON value does", nil
	case errors.As(err, &syntax):
		return http.StatusBadRequest, fmt.Sprintf("malformed JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: ")), nil
	case errors.Is(err, errTrailing):
		return http.StatusBadRequest, "malformed JSON: the body must hold one JSON object and nothing after it", nil
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return http.StatusBadRequest, fmt.Sprintf("request body must be a JSON object, got %s", jsonKind(typeErr.Value)), nil
		}
		p := FieldProblem{typeErr.Field, fmt.Sprintf("must be %s, got %s", goKind(typeErr.Type.String()), jsonKind(typeErr.Value))}
		return http.StatusUnprocessableEntity, "invalid book: " + summary([]FieldProblem{p}), []FieldProblem{p}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		p := FieldProblem{field, "is not a field of a book; want title, author, year and isbn"}
		return http.StatusUnprocessableEntity, "invalid book: " + summary([]FieldProblem{p}), []FieldProblem{p}
	default:
		// A read error: the client went away or sent a broken body.
		return http.StatusBadRequest, "could not read the request body: " + err.Error(), nil
	}
}

// jsonKind turns encoding/json's description of a JSON value into words.
func jsonKind(v string) string {
	switch {
	case strings.HasPrefix(v, "number"):
		if rest := strings.TrimSpace(strings.TrimPrefix(v, "number")); rest != "" {
			return "the number " + quoteTrunc(rest)
		}
		return "a number"
	case v == "string", v == "bool", v == "array", v == "object":
		return map[string]string{"string": "a string", "bool": "a boolean", "array": "an array", "object": "an object"}[v]
	}
	return v
}

func goKind(t string) string {
	switch t {
	case "int":
		return "an integer"
	case "string":
		return "a string"
	}
	return t
}

func summary(ps []FieldProblem) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Field + " " + p.Problem
	}
	return strings.Join(parts, "; ")
}

func (s *Server) storeError(w http.ResponseWriter, r *http.Request, id int64, err error) {
	var fe *store.FieldError
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("no book with id %d", id), nil)
	case errors.As(err, &fe):
		writeError(w, r, http.StatusUnprocessableEntity, "invalid book: "+fe.Error(), []FieldProblem{{fe.Field, fe.Problem}})
	default:
		s.internalError(w, r, err)
	}
}

// internalError answers 500 without leaking the cause; the cause goes to the
// span and the log line.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	span := trace.SpanFromContext(r.Context())
	span.RecordError(err)
	s.cfg.Logger.ErrorContext(r.Context(), "request failed", "error", err.Error(), "request_id", RequestID(r.Context()))
	writeError(w, r, http.StatusInternalServerError, "internal server error; it has been logged with the request ID", nil)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// quoteTrunc quotes a client-supplied value for an error message, cut short
// so an error never echoes a large input.
func quoteTrunc(s string) string {
	const max = 40
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}
