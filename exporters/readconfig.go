package exporters

// Resolver is what a backend package's Config has: Resolve checks it for
// the environment and returns what the backend is built from.
type Resolver[R any] interface {
	Resolve(strict bool) (R, error)
}

// ReadConfig reads a backend's variables through s.Lookup with the
// package's ConfigFromEnv and resolves them for s's strictness: the first
// step of every factory's New, kept in one place. It returns the Config as
// read, for the warnings some backends log, and the resolved form.
func ReadConfig[R any, C Resolver[R]](s Settings, fromEnv func(func(string) (string, bool)) (C, error)) (C, R, error) {
	var r R
	c, err := fromEnv(s.Lookup)
	if err != nil {
		return c, r, err
	}
	r, err = c.Resolve(s.Strict)
	return c, r, err
}
