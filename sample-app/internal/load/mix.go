package load

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Op is a kind of request.
type Op string

// The requests a mix can hold.
const (
	OpList   Op = "list"   // GET /books?page=N&page_size=20
	OpGet    Op = "get"    // GET /books/{id}
	OpCreate Op = "create" // POST /books
	OpUpdate Op = "update" // PUT /books/{id}
	OpDelete Op = "delete" // DELETE /books/{id}
	OpIO     Op = "io"     // GET /io_task?ms=Config.IOMillis
	OpCPU    Op = "cpu"    // GET /cpu_task?n=Config.CPURounds
	OpChain  Op = "chain"  // GET /chain
	OpHealth Op = "health" // GET /health
	OpError  Op = "error"  // GET /error (always 500)
)

// Ops lists every Op in a fixed order.
var Ops = []Op{OpList, OpGet, OpCreate, OpUpdate, OpDelete, OpIO, OpCPU, OpChain, OpHealth, OpError}

// Mix gives each Op a relative weight.
type Mix map[Op]int

// DefaultMix is mostly reads, some writes, a little of everything else.
var DefaultMix = Mix{
	OpList: 25, OpGet: 25, OpCreate: 15, OpUpdate: 10, OpDelete: 5,
	OpIO: 5, OpCPU: 5, OpChain: 5, OpHealth: 3, OpError: 2,
}

// ParseMix reads "op=weight,..." such as "list=50,get=30,create=20".
func ParseMix(s string) (Mix, error) {
	m := Mix{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w, ok := strings.Cut(part, "=")
		op := Op(strings.TrimSpace(name))
		if !ok || !slices.Contains(Ops, op) {
			return nil, fmt.Errorf("mix entry %q: want op=weight with op one of %s", part, opNames())
		}
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("mix entry %q: weight must be a whole number, 0 or more", part)
		}
		m[op] = n
	}
	return m, m.validate()
}

func (m Mix) validate() error {
	total := 0
	for op, w := range m {
		if !slices.Contains(Ops, op) {
			return fmt.Errorf("mix: unknown op %q; want %s", op, opNames())
		}
		if w < 0 {
			return fmt.Errorf("mix: %s has negative weight %d", op, w)
		}
		total += w
	}
	if total == 0 {
		return fmt.Errorf("mix: weights add up to 0")
	}
	return nil
}

// String renders m as ParseMix reads it, in the order of Ops.
func (m Mix) String() string {
	var parts []string
	for _, op := range Ops {
		if w := m[op]; w > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", op, w))
		}
	}
	return strings.Join(parts, ",")
}

// pick maps r in [0, total) to an Op, walking Ops in order so the same r
// always gives the same Op.
func (m Mix) pick(r int) Op {
	for _, op := range Ops {
		if r < m[op] {
			return op
		}
		r -= m[op]
	}
	return OpList
}

func (m Mix) total() int {
	t := 0
	for _, w := range m {
		t += w
	}
	return t
}

func opNames() string {
	names := make([]string, len(Ops))
	for i, op := range Ops {
		names[i] = string(op)
	}
	return strings.Join(names, ", ")
}
