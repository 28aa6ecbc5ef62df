package exporters

// NoConfig is the configuration of a backend that reads no variables (none
// and stdout): it has the contract every backend package's Config has
// (doc.go), and resolves to itself.
type NoConfig struct{}

// Resolve resolves c; there is nothing that can be wrong.
func (c NoConfig) Resolve(strict bool) (NoConfig, error) { return c, nil }

// Validate reports every problem with c: none.
func (c NoConfig) Validate(strict bool) error { return nil }
