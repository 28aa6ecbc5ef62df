package store

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on a book's fields, enforced by [BookInput.Validate].
const (
	MaxTitleLen  = 300 // characters
	MaxAuthorLen = 200 // characters
	MaxISBNLen   = 17  // ISBN-13 with four hyphens
	MinYear      = -3000
	MaxYear      = 2100
)

// Book is a stored book.
type Book struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	Author    string    `json:"author"`
	Year      int       `json:"year"`
	ISBN      string    `json:"isbn,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// BookInput is what a client may set on a book: on create, and on update,
// where it replaces every field.
type BookInput struct {
	Title  string
	Author string
	Year   int
	ISBN   string
}

// FieldError says what is wrong with one field of a [BookInput].
type FieldError struct {
	Field   string // the JSON name
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Validate reports every problem with in at once, joined with errors.Join; each
// one is a *[FieldError].
func (in BookInput) Validate() error {
	var errs []error
	errs = append(errs, checkText("title", in.Title, MaxTitleLen, true)...)
	errs = append(errs, checkText("author", in.Author, MaxAuthorLen, true)...)
	if in.Year < MinYear || in.Year > MaxYear {
		errs = append(errs, &FieldError{"year", fmt.Sprintf("must be between %d and %d, got %d", MinYear, MaxYear, in.Year)})
	}
	if in.ISBN != "" {
		if n := utf8.RuneCountInString(in.ISBN); n > MaxISBNLen {
			errs = append(errs, &FieldError{"isbn", fmt.Sprintf("must be at most %d characters, got %d", MaxISBNLen, n)})
		} else if strings.Trim(in.ISBN, "0123456789-X") != "" {
			errs = append(errs, &FieldError{"isbn", "may hold only digits, hyphens and X"})
		}
	}
	return errors.Join(errs...)
}

func checkText(field, s string, max int, required bool) []error {
	if strings.TrimSpace(s) == "" {
		if required {
			return []error{&FieldError{field, "is required and must not be blank"}}
		}
		return nil
	}
	var errs []error
	if !utf8.ValidString(s) {
		errs = append(errs, &FieldError{field, "must be valid UTF-8"})
	}
	if n := utf8.RuneCountInString(s); n > max {
		errs = append(errs, &FieldError{field, fmt.Sprintf("must be at most %d characters, got %d", max, n)})
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		errs = append(errs, &FieldError{field, "must not contain control characters"})
	}
	return errs
}
