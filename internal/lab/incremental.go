package lab

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// CollectorSpansFrom reads the complete lines of CollectorFile(src) from
// byte offset on and returns their spans and the offset just past the last
// complete line, to pass to the next call. Readers that poll a busy
// receiver use it to parse each line once and to skip what earlier runs
// left in the file (the file's size before a run is a valid offset). Before
// anything arrives it returns no spans and offset unchanged.
func (l *Lab) CollectorSpansFrom(ctx context.Context, src Source, offset int64) ([]Span, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, offset, err
	}
	f, err := os.Open(l.CollectorFile(src))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, offset, nil
	}
	if err != nil {
		return nil, offset, fmt.Errorf("lab: collector spans: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, offset, fmt.Errorf("lab: collector spans: %w", err)
	}
	var spans []Span
	br := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			// A last line without its newline is still being written.
			return spans, offset, nil
		}
		if err != nil {
			return nil, offset, fmt.Errorf("lab: collector spans from %s: %w", l.CollectorFile(src), err)
		}
		at := offset
		offset += int64(len(line))
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var req otlpTraces
		if err := json.Unmarshal(line, &req); err != nil {
			return nil, at, fmt.Errorf("lab: collector spans from %s at byte %d: %w", l.CollectorFile(src), at, err)
		}
		for _, rs := range req.ResourceSpans {
			res := attrMap(rs.Resource.Attributes)
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					spans = append(spans, s.convert(src, res, ss.Scope))
				}
			}
		}
	}
}

// CollectorFileSize returns the current size of CollectorFile(src), 0
// before anything arrived: the offset for CollectorSpansFrom that skips
// everything received so far.
func (l *Lab) CollectorFileSize(src Source) (int64, error) {
	fi, err := os.Stat(l.CollectorFile(src))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("lab: %w", err)
	}
	return fi.Size(), nil
}
