package exporters

// CopyOnWrite returns in with f applied to each element; f returns the
// element to put in its place, whether to keep it and whether it changed
// it (an element f did not change is kept as it was). The slice is copied
// only from the first change on, and not at all when f changes nothing, so
// exporters that rewrite some elements cost nothing on the others. It
// returns how many elements f dropped and whether anything changed.
func CopyOnWrite[T any](in []T, f func(T) (v T, keep, changed bool)) ([]T, int, bool) {
	var out []T
	dropped := 0
	for i, e := range in {
		v, keep, changed := f(e)
		if !changed {
			if out != nil {
				out = append(out, e)
			}
			continue
		}
		if out == nil {
			out = make([]T, i, len(in))
			copy(out, in[:i])
		}
		if keep {
			out = append(out, v)
		} else {
			dropped++
		}
	}
	if out == nil {
		return in, 0, false
	}
	return out, dropped, true
}
