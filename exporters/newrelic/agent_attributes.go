package newrelic

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// attributeFilter applies NEW_RELIC_ATTRIBUTES_EXCLUDE and
// NEW_RELIC_ATTRIBUTES_INCLUDE to span attributes as the Go agent applies
// them to every destination (go-agent v3 applyAttributeConfig, in
// newrelic/attributes_from_internal.go): wildcard rules (a trailing *) in
// order of their prefix, shorter first, then the exact rule; within one
// rule exclude wins over include. Filtering here, before the attributes
// become custom attributes, keeps excluded ones from using up the agent's 64
// custom attributes; the agent applies the same rules again to what it is
// given.
type attributeFilter struct {
	exact    map[string]rule
	wildcard []wildcardRule // sorted by prefix
}

type rule struct{ include, exclude bool }

type wildcardRule struct {
	prefix string
	rule
}

func newAttributeFilter(include, exclude []string) *attributeFilter {
	if len(include) == 0 && len(exclude) == 0 {
		return nil
	}
	f := &attributeFilter{exact: map[string]rule{}}
	add := func(match string, r rule) {
		match = strings.TrimSpace(match)
		if match == "" {
			return
		}
		if p, ok := strings.CutSuffix(match, "*"); ok {
			for i := range f.wildcard {
				if f.wildcard[i].prefix == p {
					f.wildcard[i].include = f.wildcard[i].include || r.include
					f.wildcard[i].exclude = f.wildcard[i].exclude || r.exclude
					return
				}
			}
			f.wildcard = append(f.wildcard, wildcardRule{p, r})
			return
		}
		old := f.exact[match]
		f.exact[match] = rule{old.include || r.include, old.exclude || r.exclude}
	}
	for _, m := range include {
		add(m, rule{include: true})
	}
	for _, m := range exclude {
		add(m, rule{exclude: true})
	}
	sort.SliceStable(f.wildcard, func(i, j int) bool { return f.wildcard[i].prefix < f.wildcard[j].prefix })
	return f
}

// keep reports whether key is sent: attributes are sent unless a rule
// excludes them.
func (f *attributeFilter) keep(key string) bool {
	if f == nil {
		return true
	}
	keep := true
	apply := func(r rule) {
		if r.include {
			keep = true
		}
		if r.exclude {
			keep = false
		}
	}
	for _, w := range f.wildcard {
		if strings.HasPrefix(key, w.prefix) {
			apply(w.rule)
		}
	}
	if r, ok := f.exact[key]; ok {
		apply(r)
	}
	return keep
}

// maxLabels and maxLabelRunes are the Go agent's bounds on labels.
const (
	maxLabels     = 64
	maxLabelRunes = 255
)

// parseLabels reads NEW_RELIC_LABELS as the Go agent's getLabels does
// (newrelic/config_options.go): type:value pairs separated by semicolons,
// each part trimmed and cut to 255 characters, the first 64 kept; an empty
// entry or a pair without both parts is an error, as it is for the agent,
// which would otherwise refuse to start.
func parseLabels(s string) (map[string]string, error) {
	s = strings.Trim(s, ";\t\n\v\f\r ")
	if s == "" {
		return nil, nil
	}
	out := map[string]string{}
	for _, entry := range strings.Split(s, ";") {
		if entry == "" {
			return nil, fmt.Errorf("%s=%q: an empty entry between semicolons; want type:value pairs separated by semicolons, such as Server:One;DataCenter:Primary", envLabels, s)
		}
		parts := strings.Split(entry, ":")
		if len(parts) != 2 || strings.TrimSpace(parts[0]) == "" || strings.TrimSpace(parts[1]) == "" {
			return nil, fmt.Errorf("%s=%q: %q is not a type:value pair; want type:value pairs separated by semicolons, such as Server:One;DataCenter:Primary", envLabels, s, entry)
		}
		if len(out) < maxLabels {
			out[cutRunes(strings.TrimSpace(parts[0]))] = cutRunes(strings.TrimSpace(parts[1]))
		}
	}
	return out, nil
}

func cutRunes(s string) string {
	if utf8.RuneCountInString(s) <= maxLabelRunes {
		return s
	}
	return string([]rune(s)[:maxLabelRunes])
}
