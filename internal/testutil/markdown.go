package testutil

import (
	"strings"
	"testing"
)

// MarkdownTable returns the cells of the body rows (past the header and its
// --- row) of the first Markdown table after the first line of doc that
// contains marker, for tests that hold a doc's table to the code. A missing
// marker or table fails the test.
func MarkdownTable(tb testing.TB, doc, marker string) [][]string {
	tb.Helper()
	i := strings.Index(doc, marker)
	if i < 0 {
		tb.Fatalf("no %q in the doc", marker)
	}
	var rows [][]string
	for _, line := range strings.Split(doc[i:], "\n")[1:] {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			if len(rows) > 0 {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for k := range cells {
			cells[k] = strings.TrimSpace(cells[k])
		}
		rows = append(rows, cells)
	}
	if len(rows) < 3 {
		tb.Fatalf("no table after %q", marker)
	}
	return rows[2:]
}
