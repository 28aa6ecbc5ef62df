package datadog

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/otel/trace"
)

// traceStateKey is the W3C tracestate member Datadog tracers keep their
// state in: dd=s:<priority>;o:<origin>;p:<parent>;t.<tag>:<value>.
const traceStateKey = "dd"

// Limits dd-trace-go keeps the tracestate header to.
const (
	maxStateLen        = 256  // the dd member, "dd=" included
	maxOtherMemberLen  = 512  // another vendor's member
	maxTracestateLen   = 4096 // the whole header
	maxTracestateItems = 32   // members
)

// Sampling decision makers (_dd.p.dm) dd-trace-go sets when the W3C flag
// overrides the priority.
const dmDefault = "-0"

// ddState is the Datadog part of a trace's context that OTel's span context
// has no field for.
type ddState struct {
	priority    int
	hasPriority bool
	origin      string
	// tags are the propagated tags, as received and in that order, a
	// repeated key once.
	tags []tag
	// parent is the last Datadog parent (p: in the tracestate), 16 hex
	// digits, or "".
	parent string
}

// carried is the Datadog state extracted from a request, carried in the
// context beside the span context it belongs to, so that it is injected
// again exactly as received: the tracestate member holds it only
// rewritten for W3C and cut at 256 bytes.
type carried struct {
	traceID trace.TraceID
	// member is the dd tracestate member of the span context the state
	// was extracted with; a span context whose member differs has had its
	// state replaced, and the carried one no longer applies.
	member string
	state  ddState
	// others are the other vendors' tracestate members, as received.
	others []string
}

type carriedKey struct{}

// stateFor is the Datadog state and other vendors' tracestate members to
// inject for sc: the ones carried from extraction when they belong to sc's
// trace and tracestate, else the ones sc's tracestate holds.
func stateFor(ctx context.Context, sc trace.SpanContext) (ddState, []string) {
	member := sc.TraceState().Get(traceStateKey)
	if c, ok := ctx.Value(carriedKey{}).(*carried); ok && c.traceID == sc.TraceID() && c.member == member {
		st := c.state
		st.tags = append([]tag(nil), st.tags...)
		return st, c.others
	}
	var others []string
	sc.TraceState().Walk(func(k, v string) bool {
		if k != traceStateKey {
			others = append(others, k+"="+v)
		}
		return true
	})
	return parseState(member, sc.IsSampled()), others
}

// parseState reads the dd tracestate member v of a span context whose
// sampled flag is sampled, with the priority to send for it.
func parseState(v string, sampled bool) ddState {
	st := ddState{priority: flagPriority(sampled), hasPriority: true}
	if v != "" {
		st.readMember(v)
	}
	return st.decided(sampled)
}

func flagPriority(sampled bool) int {
	if sampled {
		return 1
	}
	return 0
}

// decided returns s with the priority to send for a span context whose
// sampled flag is sampled: the one received when it agrees with the flag
// (so USER_KEEP stays 2); when it does not, the flag wins as dd-trace-go's
// W3C rules have it: AUTO_KEEP with decision maker -0, or AUTO_REJECT
// without one. With no priority received, the flag's.
func (s ddState) decided(sampled bool) ddState {
	if s.hasPriority && (s.priority > 0) == sampled {
		return s
	}
	if s.hasPriority {
		s.setPriority(flagPriority(sampled), dmDefault)
		return s
	}
	s.priority, s.hasPriority = flagPriority(sampled), true
	return s
}

// setPriority is dd-trace-go's trace.setSamplingPriority: a keep by a
// known mechanism (dm not "") records it as the decision maker; a drop
// removes the decision maker.
func (s *ddState) setPriority(p int, dm string) {
	s.priority, s.hasPriority = p, true
	switch {
	case p > 0 && dm != "":
		s.tags = setTag(s.tags, tagDecisionMaker, dm)
	case p <= 0:
		s.tags = dropTag(s.tags, tagDecisionMaker)
	}
}

// parseTracestate reads a tracestate header as dd-trace-go's
// parseTracestate, for a traceparent whose sampled flag is sampled: the dd
// member's state and the other members, the ot member first. A header
// over 4096 bytes is ignored; a dd member over 256 bytes is ignored with
// whatever follows it, and other members over 512 bytes are dropped.
func parseTracestate(h string, sampled bool) (ddState, []string) {
	st := ddState{priority: flagPriority(sampled), hasPriority: true}
	if h == "" || len(h) > maxTracestateLen {
		return st, nil
	}
	var ot, others []string
	stopped := false
	for _, m := range strings.Split(strings.Trim(h, " \t"), ",") {
		m = strings.Trim(m, " \t")
		switch {
		case strings.HasPrefix(m, "ot="):
			if !stopped {
				ot = []string{m}
			}
		case strings.HasPrefix(m, "dd="):
			if len(m) > maxStateLen {
				stopped = true
			}
			if !stopped {
				st.readMember(m[len("dd="):])
			}
		case len(m) <= maxOtherMemberLen:
			others = append(others, m)
		}
	}
	return st, append(ot, others...)
}

// readMember applies a dd member's entries in order, as dd-trace-go does:
// s: against the priority so far (the traceparent flag's), o:, p: and
// t.<key>:<value> with '~' read as '='.
func (s *ddState) readMember(v string) {
	dropDM := false
	for _, e := range strings.Split(v, ";") {
		k, val, ok := strings.Cut(e, ":")
		switch {
		case !ok:
		case k == "o":
			s.origin = strings.ReplaceAll(val, "~", "=")
		case k == "s":
			dropDM = s.reconcile(val) || dropDM
		case k == "p":
			s.parent = val
		case strings.HasPrefix(k, "t.dm"):
			if !dropDM && !hasTag(s.tags, tagDecisionMaker) {
				s.tags = setTag(s.tags, tagDecisionMaker, val)
			}
		case strings.HasPrefix(k, "t."):
			s.tags = setTag(s.tags, propagatingPrefix+k[len("t."):], strings.ReplaceAll(val, "~", "="))
		}
	}
}

// reconcile applies the dd member's priority v to the traceparent flag's,
// by dd-trace-go's W3C rules: when they agree v stands; a sampled flag
// with a drop priority becomes AUTO_KEEP with decision maker -0; an
// unsampled flag with a keep priority becomes AUTO_REJECT and drops the
// decision maker, also one that follows. It reports that last case.
func (s *ddState) reconcile(v string) (dropDM bool) {
	p, err := strconv.Atoi(v)
	if err != nil {
		return false
	}
	switch parent := s.priority; {
	case (parent == 1 && p > 0) || (parent == 0 && p <= 0):
		s.setPriority(p, "")
	case parent == 1:
		s.setPriority(1, dmDefault)
	case parent == 0:
		s.setPriority(0, "")
		return true
	}
	return false
}

// composeTracestate writes the tracestate header for st as dd-trace-go's
// composeTracestate does: the dd member (priority, origin, last parent,
// then _dd.p.* tags while the member stays within 256 bytes), then the
// other members while the header stays within 4096 bytes and 32 members.
func composeTracestate(st ddState, others []string) string {
	var b strings.Builder
	b.Grow(128)
	b.WriteString("dd=")
	entry := func(prefix, v string) {
		if b.Len() > len("dd=") {
			b.WriteByte(';')
		}
		b.WriteString(prefix)
		b.WriteString(v)
	}
	if st.hasPriority {
		entry("s:", strconv.Itoa(st.priority))
	}
	if st.origin != "" {
		entry("o:", sanitizeW3C(st.origin, originClass))
	}
	if st.parent != "" {
		entry("p:", st.parent)
	}
	for _, t := range st.tags {
		if !strings.HasPrefix(t.key, propagatingPrefix) {
			continue
		}
		k, v := sanitizeW3C(t.key[len(propagatingPrefix):], keyClass), sanitizeW3C(t.value, valueClass)
		if b.Len()+len(k)+len(v)+4 > maxStateLen {
			break
		}
		entry("t.", k+":"+v)
	}
	for i, m := range others {
		if b.Len()+1+len(m) > maxTracestateLen || i+2 > maxTracestateItems {
			break
		}
		b.WriteByte(',')
		b.WriteString(m)
	}
	return b.String()
}

// sanitizeW3C rewrites s for the dd tracestate member as dd-trace-go's
// sanitizeW3C: class tells, for an ASCII byte, its replacement or that it
// belongs to a run of bytes written as one '_'; runes beyond ASCII always
// do.
func sanitizeW3C(s string, class func(c byte) (repl byte, collapse bool)) string {
	first := 0
	for ; first < len(s) && s[first] < utf8.RuneSelf; first++ {
		if repl, collapse := class(s[first]); collapse || repl != s[first] {
			break
		}
	}
	if first == len(s) {
		return s // the common case: nothing to rewrite
	}
	var b strings.Builder
	b.WriteString(s[:first])
	inRun := false
	for i := first; i < len(s); {
		c, size := s[i], 1
		repl, collapse := byte(0), true
		if c < utf8.RuneSelf {
			repl, collapse = class(c)
		} else {
			_, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		if !collapse {
			b.WriteByte(repl)
		} else if !inRun {
			b.WriteByte('_')
		}
		inRun = collapse
	}
	return b.String()
}

// keyClass is dd-trace-go's keyLUT: control characters collapse, ',' and
// '=' become '_'.
func keyClass(c byte) (byte, bool) {
	switch {
	case c < 0x20 || c == 0x7f:
		return 0, true
	case c == ',' || c == '=':
		return '_', false
	}
	return c, false
}

// valueClass is dd-trace-go's valueLUT: control characters collapse, ',',
// ';' and '~' become '_', '=' becomes '~'.
func valueClass(c byte) (byte, bool) {
	switch {
	case c < 0x20 || c == 0x7f:
		return 0, true
	case c == ',' || c == ';' || c == '~':
		return '_', false
	case c == '=':
		return '~', false
	}
	return c, false
}

// originClass is dd-trace-go's originLUT: as valueClass, and spaces
// collapse too.
func originClass(c byte) (byte, bool) {
	if c == ' ' {
		return 0, true
	}
	return valueClass(c)
}
