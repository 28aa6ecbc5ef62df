package envconf_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/otelswitch/otelswitch/internal/envconf"
)

func TestParseList(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []envconf.Pair
		wantErr string
	}{
		{"empty", "", nil, ""},
		{"blanks and empty entries", " , ,", nil, ""},
		{"pairs", "a=1, b = two ,c=", []envconf.Pair{{"a", "1"}, {"b", "two"}, {"c", ""}}, ""},
		{"value holding =", "api-key=abc==", []envconf.Pair{{"api-key", "abc=="}}, ""},
		{"percent-decoded", "Authorization=Bearer%20tok", []envconf.Pair{{"Authorization", "Bearer tok"}}, ""},
		{"not key=value", "a=1,oops", []envconf.Pair{{"a", "1"}}, "X: entry 2 is not key=value"},
		{"empty key", "=v", nil, "X: entry 1 is not key=value"},
		{"bad percent-encoding names the key only", "k=s3cr%zz", nil, `X: value of "k" has a malformed percent-encoding`},
		{"encoded CR LF", "k=a%0D%0AX-Evil:%201", nil, `X: value of "k" holds a control character`},
		{"raw control character in key", "k\x01=v", nil, "X: entry 1: key holds a control character"},
		{"tab is allowed in a value", "k=a%09b", []envconf.Pair{{"k", "a\tb"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := envconf.ParseList("X", tt.in)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("pair %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// FuzzParseList checks, for any input, that ParseList never panics, returns
// only trimmed, non-empty keys and values free of control characters (tab
// aside), and never repeats a value in an error.
func FuzzParseList(f *testing.F) {
	for _, seed := range []string{
		"", "a=1,b=2", "key=va=lue", "k=%41%42", "k=%zz", "=v", "k", ",,,", " k = v ",
		"k=a%0D%0Ab", "k\x00=v", "k=\xff\xfe", "k=日本語", "a=1,a=2",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, list string) {
		pairs, _ := envconf.ParseList("FUZZ_LIST", list)
		for _, p := range pairs {
			if p.Key == "" || p.Key != strings.TrimSpace(p.Key) {
				t.Fatalf("key %q is empty or untrimmed", p.Key)
			}
			for _, s := range []string{p.Key, p.Value} {
				for _, r := range s {
					if (r < 0x20 && r != '\t') || r == 0x7f {
						t.Fatalf("%q holds control character %U", s, r)
					}
				}
			}
		}
		// A value framed so no key or fixed text can hold it never shows.
		secret := "canary<" + list + ">canary"
		_, err := envconf.ParseList("FUZZ_LIST", "secret.key="+secret)
		if err != nil && utf8.ValidString(secret) && strings.Contains(err.Error(), secret) {
			t.Fatalf("the value is in the error: %v", err)
		}
	})
}
