package datadog_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"

	"github.com/otelswitch/otelswitch/exporters/datadog"
)

func reString(r *regexp.Regexp) string {
	if r == nil {
		return ""
	}
	return r.String()
}

// FuzzParseRules checks ParseRules against dd-trace-go's own reading of
// the same JSON: both accept or both refuse, and what they accept has the
// same globs and rates. The corpus is in testdata/fuzz/FuzzParseRules.
func FuzzParseRules(f *testing.F) {
	for _, seed := range []string{
		`[{"service":"books*","name":"http.?equest","sample_rate":0.25}]`,
		`[{"resource":"GET /health","sample_rate":0},{"tags":{"tier":"gold","code":"5??"}}]`,
		`[{"service":"a","provenance":" Customer "},{"provenance":"dynamic","sample_rate":"0.5"}]`,
		`[{"sample_rate":1.5}]`,
		`[{"sample_rate":true}]`,
		`[{"provenance":"mars"}]`,
		`[{"type":"x"}]`,
		`[{"max_per_second":"a"}]`,
		`null`,
		`[] x`,
		`{"service":"a"}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.TrimSpace(s) == "" {
			return // both mean "no rules"; dd-trace-go never parses it
		}
		ours, oerr := datadog.ParseRules(s)
		var theirs []tracer.SamplingRule
		terr := json.Unmarshal([]byte(s), &theirs)
		if (oerr == nil) != (terr == nil) {
			t.Fatalf("%q: ours %v, dd-trace-go's %v", s, oerr, terr)
		}
		if oerr != nil {
			if !strings.HasPrefix(oerr.Error(), "DD_TRACE_SAMPLING_RULES") {
				t.Errorf("error %q does not name the variable", oerr)
			}
			return
		}
		if len(ours) != len(theirs) {
			t.Fatalf("%q: %d rules; dd-trace-go %d", s, len(ours), len(theirs))
		}
		for i := range ours {
			o, d := ours[i], theirs[i]
			if reString(o.Service) != reString(d.Service) || reString(o.Name) != reString(d.Name) ||
				reString(o.Resource) != reString(d.Resource) || o.Rate != d.Rate || len(o.Tags) != len(d.Tags) {
				t.Fatalf("%q: rule %d: ours %+v; dd-trace-go %+v", s, i, o, d)
			}
			for k, re := range o.Tags {
				if reString(re) != reString(d.Tags[k]) {
					t.Fatalf("%q: rule %d tag %q: %q; dd-trace-go %q", s, i, k, reString(re), reString(d.Tags[k]))
				}
			}
		}
	})
}
