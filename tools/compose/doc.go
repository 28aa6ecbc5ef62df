// Package compose holds the tests of docker-compose.yml and of otelcol.yaml,
// the collector configuration it mounts. It is a module of its own so that
// compose-go, which loads the file the way `docker compose` does, stays out
// of the library's go.mod.
package compose
