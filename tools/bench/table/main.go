// Command table turns `go test -bench` output, from one or more runs, into
// the Markdown tables of docs/performance.md: for each benchmark, the
// median of every metric over the runs, its spread, and ratios.
//
// A benchmark's sub-benchmarks are its variants. Two ratios are shown,
// paired run by run where every variant ran in every run (see ratio):
//
//   - "× off": against the variant named off, where there is one;
//   - "× hand-wired": for a variant whose name holds "otelswitch", against
//     the one with "handwired" (or else "sdk-batch") in its place.
//
// Usage:
//
//	go test -run '^$' -bench . -benchmem ./... | go run ./tools/bench/table
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// result is every value one variant's metric took over the runs.
type result struct {
	family, variant string
	values          map[string][]float64 // unit -> values
}

// unitOrder puts the usual units first; others follow in order of appearance.
var unitOrder = []string{"ns/op", "cpu-ns/op", "B/op", "allocs/op", "dropped/span", "spans/s", "cpu-ns/span"}

// procSuffix is the -GOMAXPROCS suffix go test adds to a name.
var procSuffix = regexp.MustCompile(`-\d+$`)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "table:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	results, families, err := parse(in)
	if err != nil {
		return err
	}
	if len(families) == 0 {
		return fmt.Errorf("no benchmark results on standard input")
	}
	for _, f := range families {
		write(out, f, results[f.name], f.variants)
	}
	return nil
}

type family struct {
	name     string // package and benchmark, e.g. internal/perf BenchmarkRequest
	variants []string
}

func parse(in io.Reader) (map[string]map[string]*result, []*family, error) {
	results := map[string]map[string]*result{}
	var families []*family
	byName := map[string]*family{}
	pkg := ""
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(p, "github.com/otelswitch/otelswitch/")
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := procSuffix.ReplaceAllString(fields[0], "")
		fam, variant, _ := strings.Cut(name, "/")
		fam = pkg + " " + fam
		f := byName[fam]
		if f == nil {
			f = &family{name: fam}
			byName[fam] = f
			families = append(families, f)
			results[fam] = map[string]*result{}
		}
		r := results[fam][variant]
		if r == nil {
			r = &result{family: fam, variant: variant, values: map[string][]float64{}}
			results[fam][variant] = r
			f.variants = append(f.variants, variant)
		}
		// fields[1] is the iteration count; then value-unit pairs.
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%q: %v", line, err)
			}
			r.values[fields[i+1]] = append(r.values[fields[i+1]], v)
		}
	}
	return results, families, sc.Err()
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// spread is the largest distance from the median, in percent of it.
func spread(v []float64) float64 {
	m := median(v)
	if m == 0 {
		return 0
	}
	var d float64
	for _, x := range v {
		d = max(d, abs(x-m)/m*100)
	}
	return d
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func units(rs map[string]*result, variants []string) []string {
	var seen []string
	for _, v := range variants {
		for u := range rs[v].values {
			if !slices.Contains(seen, u) {
				seen = append(seen, u)
			}
		}
	}
	rank := func(u string) int {
		if i := slices.Index(unitOrder, u); i >= 0 {
			return i
		}
		return len(unitOrder)
	}
	sort.SliceStable(seen, func(i, j int) bool {
		if rank(seen[i]) != rank(seen[j]) {
			return rank(seen[i]) < rank(seen[j])
		}
		return seen[i] < seen[j]
	})
	return seen
}

// baseline names the hand-wired counterpart of an otelswitch variant.
func baseline(rs map[string]*result, variant string) string {
	if !strings.Contains(variant, "otelswitch") {
		return ""
	}
	for _, other := range []string{"handwired", "sdk-batch", "sdk"} {
		if b := strings.Replace(variant, "otelswitch", other, 1); rs[b] != nil {
			return b
		}
	}
	// Datadog's own tracer is the baseline of otelswitch's Datadog modes.
	if strings.HasPrefix(variant, "otelswitch-datadog") && rs["ddtrace"] != nil {
		return "ddtrace"
	}
	return ""
}

// The metrics ratios are shown for, where present.
var (
	offUnits  = []string{"ns/op", "cpu-ns/op"}
	baseUnits = []string{"ns/op", "cpu-ns/op", "allocs/op", "spans/s", "cpu-ns/span"}
)

func write(out io.Writer, f *family, rs map[string]*result, variants []string) {
	us := units(rs, variants)
	runs := 0
	for _, v := range variants {
		runs = max(runs, len(rs[v].values["ns/op"]))
	}
	present := func(want []string) []string {
		var out []string
		for _, u := range want {
			if slices.Contains(us, u) {
				out = append(out, u)
			}
		}
		return out
	}
	ous, bus := present(offUnits), present(baseUnits)
	off := rs["off"]
	// Added CPU: what the instrumentation costs over the uninstrumented
	// handler, the figure the targets of docs/performance.md are set in.
	addedCPU := off != nil && slices.Contains(us, "cpu-ns/op")
	hasBase := false
	for _, v := range variants {
		hasBase = hasBase || baseline(rs, v) != ""
	}
	fmt.Fprintf(out, "\n%s: median of %d runs, ± the largest deviation from it; ratios: median of the per-run ratios (lowest–highest)\n\n", f.name, runs)
	head := append([]string{"variant"}, us...)
	if off != nil {
		for _, u := range ous {
			head = append(head, "× off "+u)
		}
	}
	if hasBase {
		for _, u := range bus {
			head = append(head, "× hand-wired "+u)
		}
		if addedCPU {
			head = append(head, "× hand-wired added cpu-ns/op")
		}
	}
	fmt.Fprintf(out, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat(" --- |", len(head)))
	for _, v := range variants {
		r := rs[v]
		row := []string{v}
		for _, u := range us {
			vals := r.values[u]
			switch {
			case len(vals) == 0:
				row = append(row, "")
			case u == "ns/op" || u == "cpu-ns/op" || u == "spans/s" || u == "cpu-ns/span":
				row = append(row, fmt.Sprintf("%s ±%.0f%%", num(median(vals)), spread(vals)))
			default:
				row = append(row, num(median(vals)))
			}
		}
		if off != nil {
			for _, u := range ous {
				if r == off {
					row = append(row, "")
					continue
				}
				row = append(row, ratio(r, off, u))
			}
		}
		if hasBase {
			b := baseline(rs, v)
			for _, u := range bus {
				if b == "" {
					row = append(row, "")
					continue
				}
				row = append(row, ratio(r, rs[b], u))
			}
			if addedCPU {
				row = append(row, addedRatio(r, b, rs, off))
			}
		}
		fmt.Fprintf(out, "| %s |\n", strings.Join(row, " | "))
	}
}

// ratio is r's value of unit over base's. When both ran in every run, the
// i-th values come from the same `go test` process, minutes apart from the
// next; the ratio is then the median of the per-run ratios, with their
// range, so that a machine that is busier in one run than in another moves
// both sides of a ratio, not one.
func ratio(r, base *result, unit string) string {
	a, b := r.values[unit], base.values[unit]
	if len(a) == 0 || len(b) == 0 || median(b) == 0 {
		return ""
	}
	if len(a) != len(b) || len(a) == 1 || slices.Contains(b, 0) {
		return fmt.Sprintf("%.2f", median(a)/median(b))
	}
	rs := make([]float64, len(a))
	for i := range a {
		rs[i] = a[i] / b[i]
	}
	return fmt.Sprintf("%.2f (%.2f–%.2f)", median(rs), slices.Min(rs), slices.Max(rs))
}

// addedRatio is r's CPU per operation over the baseline b's, both less
// off's, paired run by run as ratio pairs them.
func addedRatio(r *result, b string, rs map[string]*result, off *result) string {
	if b == "" || r == off {
		return ""
	}
	const u = "cpu-ns/op"
	sub := func(x *result) *result {
		y := &result{values: map[string][]float64{}}
		if len(x.values[u]) != len(off.values[u]) {
			y.values[u] = []float64{median(x.values[u]) - median(off.values[u])}
			return y
		}
		for i, v := range x.values[u] {
			y.values[u] = append(y.values[u], v-off.values[u][i])
		}
		return y
	}
	return ratio(sub(r), sub(rs[b]), u)
}

func num(x float64) string {
	switch {
	case x != 0 && abs(x) < 1:
		return strconv.FormatFloat(x, 'f', 3, 64)
	case abs(x) >= 100:
		return fmt.Sprintf("%.0f", x)
	default:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
}
