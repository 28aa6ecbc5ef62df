package app

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/otelswitch/otelswitch/bootstrap"
)

// LookupFunc reports the value of an environment variable and whether it is
// set, like os.LookupEnv.
type LookupFunc func(key string) (string, bool)

// Variables the app reads itself; bootstrap reads the telemetry ones.
const (
	EnvAddr         = "ADDR"
	EnvDatabaseURL  = "DATABASE_URL"
	EnvChainTargets = "CHAIN_TARGETS"
	EnvDrainTimeout = "DRAIN_TIMEOUT"
	EnvMaxBodyBytes = "MAX_BODY_BYTES"

	envServiceName        = "OTEL_SERVICE_NAME"
	envResourceAttributes = "OTEL_RESOURCE_ATTRIBUTES"
	envLogFormat          = "TELEMETRY_LOG_FORMAT"
)

// DefaultServiceName is the service name when neither OTEL_SERVICE_NAME nor
// service.name in OTEL_RESOURCE_ATTRIBUTES sets one.
const DefaultServiceName = "books"

// Config is the app's own environment.
type Config struct {
	Addr         string
	DatabaseURL  string
	ChainTargets []string
	DrainTimeout time.Duration
	MaxBodyBytes int64
}

// Var documents one environment variable.
type Var struct {
	Name, Default, Description string
}

// Variables lists what ConfigFromEnv reads.
var Variables = []Var{
	{EnvAddr, ":8080", "Address to listen on, host:port. Port 0 picks a free one."},
	{EnvDatabaseURL, "", "Unset or sqlite:PATH: embedded SQLite (books.db in the working directory by default; sqlite::memory: for a throwaway one). postgres://user:pass@host:5432/db: PostgreSQL."},
	{EnvChainTargets, "", "Comma list of peers /chain calls in order: a base URL (http://app-b:8080) gets /chain appended, so calls cascade; a URL with a path (http://app-c:8080/io_task) is called as it is."},
	{EnvDrainTimeout, "10s", "On SIGTERM or Ctrl-C, how long in-flight requests may take to finish before they are cut off."},
	{EnvMaxBodyBytes, "65536", "Largest request body accepted; a larger one gets 413."},
}

// ConfigFromEnv reads Config through lookup (os.LookupEnv when nil),
// reporting every bad value at once.
func ConfigFromEnv(lookup LookupFunc) (Config, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	get := func(name string) string {
		if v, ok := lookup(name); ok && v != "" {
			return v
		}
		for _, v := range Variables {
			if v.Name == name {
				return v.Default
			}
		}
		return ""
	}
	c := Config{Addr: get(EnvAddr), DatabaseURL: get(EnvDatabaseURL)}
	var errs []error
	for _, t := range strings.Split(get(EnvChainTargets), ",") {
		if t = strings.TrimSpace(t); t != "" {
			c.ChainTargets = append(c.ChainTargets, t)
		}
	}
	var err error
	if c.DrainTimeout, err = time.ParseDuration(get(EnvDrainTimeout)); err != nil || c.DrainTimeout <= 0 {
		errs = append(errs, fmt.Errorf("%s=%q: want a positive duration such as 10s", EnvDrainTimeout, get(EnvDrainTimeout)))
	}
	if c.MaxBodyBytes, err = strconv.ParseInt(get(EnvMaxBodyBytes), 10, 64); err != nil || c.MaxBodyBytes < 1 {
		errs = append(errs, fmt.Errorf("%s=%q: want a positive number of bytes", EnvMaxBodyBytes, get(EnvMaxBodyBytes)))
	}
	return c, errors.Join(errs...)
}

// TelemetryVariables describes the bootstrap variables named, from the
// envconfig and desc tags of bootstrap.EnvInput, so --help cannot drift from what
// bootstrap reads.
func TelemetryVariables(names ...string) []Var {
	var out []Var
	t := reflect.TypeFor[bootstrap.EnvInput]()
	for _, name := range names {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Tag.Get("envconfig") == name {
				out = append(out, Var{Name: name, Default: f.Tag.Get("default"), Description: f.Tag.Get("desc")})
			}
		}
	}
	return out
}
