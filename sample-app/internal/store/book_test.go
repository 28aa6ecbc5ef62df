package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/sample-app/internal/store"
)

func TestValidate(t *testing.T) {
	ok := store.BookInput{Title: "Kindred", Author: "Octavia E. Butler", Year: 1979, ISBN: "978-0-8070-8305-9"}
	tests := []struct {
		name   string
		modify func(*store.BookInput)
		want   []string // fields with problems
	}{
		{"valid", func(*store.BookInput) {}, nil},
		{"no isbn", func(b *store.BookInput) { b.ISBN = "" }, nil},
		{"blank title", func(b *store.BookInput) { b.Title = "  " }, []string{"title"}},
		{"long author", func(b *store.BookInput) { b.Author = strings.Repeat("é", store.MaxAuthorLen+1) }, []string{"author"}},
		{"author at limit", func(b *store.BookInput) { b.Author = strings.Repeat("é", store.MaxAuthorLen) }, nil},
		{"NUL in title", func(b *store.BookInput) { b.Title = "a\x00b" }, []string{"title"}},
		{"newline in author", func(b *store.BookInput) { b.Author = "a\nb" }, []string{"author"}},
		{"year too small", func(b *store.BookInput) { b.Year = store.MinYear - 1 }, []string{"year"}},
		{"year too big", func(b *store.BookInput) { b.Year = store.MaxYear + 1 }, []string{"year"}},
		{"bad isbn", func(b *store.BookInput) { b.ISBN = "abc" }, []string{"isbn"}},
		{"everything", func(b *store.BookInput) { *b = store.BookInput{Year: 99999, ISBN: strings.Repeat("1", 40)} }, []string{"title", "author", "year", "isbn"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ok
			tt.modify(&in)
			var got []string
			if err := in.Validate(); err != nil {
				for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
					var fe *store.FieldError
					if !errors.As(e, &fe) {
						t.Fatalf("%v is not a *FieldError", e)
					}
					got = append(got, fe.Field)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("problems with %v, want %v", got, tt.want)
			}
		})
	}
}

func ExampleBookInput_Validate() {
	err := store.BookInput{Title: "", Author: "Mary Shelley", Year: 18180}.Validate()
	fmt.Println(err)
	// Output:
	// title: is required and must not be blank
	// year: must be between -3000 and 2100, got 18180
}

func ExampleParseDatabaseURL() {
	for _, v := range []string{"", "sqlite:/var/lib/books/books.db", "postgres://books@db:5432/books"} {
		t, _ := store.ParseDatabaseURL(v)
		fmt.Printf("%q -> %s %s%s\n", v, t.Driver, t.Path, t.URL)
	}
	// Output:
	// "" -> sqlite books.db
	// "sqlite:/var/lib/books/books.db" -> sqlite /var/lib/books/books.db
	// "postgres://books@db:5432/books" -> postgresql postgres://books@db:5432/books
}
