package promscrape_test

import (
	"fmt"
	"testing"

	"github.com/otelswitch/otelswitch/sample-app/internal/promscrape"
)

const openMetrics = `# TYPE req_seconds histogram
# HELP req_seconds Request time.
req_seconds_bucket{route="/books",le="0.1"} 2 # {trace_id="4bf92f3577b34da6a3ce929d0e0e4736",span_id="00f067aa0ba902b7"} 0.042 1.7e9
req_seconds_bucket{route="/books",le="+Inf"} 3
req_seconds_sum{route="/books"} 0.4
req_seconds_count{route="/books"} 3
# EOF
`

func TestParse(t *testing.T) {
	tests := []struct {
		contentType, body string
		wantErr           bool
		wantExemplar      bool
	}{
		{"application/openmetrics-text; version=1.0.0; charset=utf-8", openMetrics, false, true},
		{"text/plain; version=0.0.4", "# TYPE up gauge\nup 1\n", false, false},
		{"text/plain; version=0.0.4", "up{ 1\n", true, false},
		{"application/json", "{}", true, false},
		{"application/openmetrics-text; version=1.0.0", "# TYPE up gauge\nup 1\n", true, false}, // no # EOF
		{"application/openmetrics-text; version=1.0.0", "# EOF\nup 1\n", true, false},
		{"text/plain; version=0.0.4", "up 1 2 3\n", true, false},
		{"text/plain; version=0.0.4", "up{a=\"b\\q\"} 1\n", true, false}, // bad escape
		{"text/plain; version=0.0.4", "up{a=\"b} 1\n", true, false},
		{"text/plain; version=0.0.4", "{a=\"b\"} 1\n", true, false},
	}
	for _, tt := range tests {
		res, err := promscrape.Parse([]byte(tt.body), tt.contentType)
		if (err != nil) != tt.wantErr {
			t.Errorf("Parse(%s) error = %v, want error %v", tt.contentType, err, tt.wantErr)
			continue
		}
		var ex bool
		for _, s := range res.Samples {
			ex = ex || s.Exemplar != nil
		}
		if ex != tt.wantExemplar {
			t.Errorf("Parse(%s): exemplar found %v, want %v", tt.contentType, ex, tt.wantExemplar)
		}
	}
}

// TestParseLabels checks escapes, timestamps and that OpenMetrics _created
// series (creation times) are not samples.
func TestParseLabels(t *testing.T) {
	body := "# TYPE reqs counter\n" +
		"reqs_total{path=\"/a\\\"b\\\\c\\nd\",code=\"200\",} 7 1.7e9\n" +
		"reqs_created{path=\"/a\"} 1.7e9\n" +
		"# EOF\n"
	res, err := promscrape.Parse([]byte(body), "application/openmetrics-text; version=1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Samples) != 1 {
		t.Fatalf("samples = %+v; want reqs_total only", res.Samples)
	}
	s := res.Samples[0]
	if s.Name != "reqs_total" || s.Value != 7 || s.Labels["path"] != "/a\"b\\c\nd" || s.Labels["code"] != "200" || len(s.Labels) != 2 {
		t.Errorf("sample = %+v", s)
	}
}

func ExampleParse() {
	res, err := promscrape.Parse([]byte(openMetrics), "application/openmetrics-text; version=1.0.0")
	if err != nil {
		panic(err)
	}
	for _, s := range res.Find("req_seconds_bucket", map[string]string{"le": "0.1"}) {
		fmt.Println(s.Value, s.Exemplar.Labels["trace_id"], s.Exemplar.Value)
	}
	fmt.Println(res.Types["req_seconds"])
	// Output:
	// 2 4bf92f3577b34da6a3ce929d0e0e4736 0.042
	// histogram
}
