package envconf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"text/template"
	_ "unsafe" // for go:linkname

	"github.com/kelseyhightower/envconfig"
)

// LookupFunc reports the value of an environment variable and whether it is
// set, like os.LookupEnv. It is an alias of the plain func type, so that
// exported signatures using it name no internal type: a backend written
// outside this module passes any such function.
type LookupFunc = func(key string) (string, bool)

// envconfig reads the environment through this package-level variable and
// offers no other hook. Swapping it under a lock lets Process read from any
// LookupFunc without touching the process environment.
//
//go:linkname envconfigLookup github.com/kelseyhightower/envconfig.lookupEnv
var envconfigLookup func(string) (string, bool)

var mu sync.Mutex

// Process fills spec, a pointer to a struct, from lookup (os.LookupEnv when
// nil). Every value that does not parse is reported, each naming the
// variable, the value and the type wanted; such fields keep their defaults.
func Process(lookup LookupFunc, spec any) error {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	mu.Lock()
	defer mu.Unlock()
	saved := envconfigLookup
	defer func() { envconfigLookup = saved }()

	// envconfig stops at the first value that does not parse. Hiding each
	// bad variable in turn and reading again finds them all.
	hidden := map[string]bool{}
	envconfigLookup = func(key string) (string, bool) {
		if hidden[key] {
			return "", false
		}
		return lookup(key)
	}
	var errs []error
	for {
		// A failed attempt may have filled fields, pointers included, that
		// the next one must see unset.
		if v := reflect.ValueOf(spec); v.Kind() == reflect.Pointer && !v.IsNil() {
			v.Elem().SetZero()
		}
		err := envconfig.Process("", spec)
		var pe *envconfig.ParseError
		if !errors.As(err, &pe) || hidden[pe.KeyName] {
			return errors.Join(append(errs, err)...)
		}
		hidden[pe.KeyName] = true
		errs = append(errs, fmt.Errorf("%s=%q: %s", pe.KeyName, pe.Value, want(pe.TypeName)))
	}
}

// Read returns a T filled by Process, or the zero T and Process's error
// prefixed with backend: the body of every backend package's ConfigFromEnv.
func Read[T any](backend string, lookup LookupFunc) (T, error) {
	var c T
	if err := Process(lookup, &c); err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", backend, err)
	}
	return c, nil
}

func want(typeName string) string {
	switch strings.TrimPrefix(typeName, "*") {
	case "bool":
		return "want true or false"
	case "time.Duration":
		return "want a duration such as 500ms, 5s or 1m"
	case "int", "int64", "int32":
		return "want a whole number"
	case "float64":
		return "want a number"
	default:
		return "want a value of type " + typeName
	}
}

// Var describes one variable of a configuration struct.
type Var struct {
	Name        string
	Type        string
	Default     string
	Description string
}

// varInfo fields (Key, Field, Tags) are exported even though envconfig's type
// is not, so a template can read them.
const describeTemplate = `{{range .}}{{.Key}}` + "\x1f" + `{{.Field.Type}}` + "\x1f" +
	`{{.Tags.Get "default"}}` + "\x1f" + `{{.Tags.Get "desc"}}` + "\x1e" + `{{end}}`

var describe = template.Must(template.New("vars").Parse(describeTemplate))

// Describe lists the variables spec reads, in field order, with the types,
// defaults and descriptions taken from its tags.
func Describe(spec any) ([]Var, error) {
	var buf bytes.Buffer
	if err := envconfig.Usaget("", spec, &buf, describe); err != nil {
		return nil, fmt.Errorf("describe %T: %w", spec, err)
	}
	var vars []Var
	for _, rec := range strings.Split(buf.String(), "\x1e") {
		if rec == "" {
			continue
		}
		f := strings.Split(rec, "\x1f")
		vars = append(vars, Var{Name: f[0], Type: typeName(f[1]), Default: f[2], Description: f[3]})
	}
	return vars, nil
}

func typeName(goType string) string {
	switch goType {
	case "time.Duration":
		return "duration"
	case "secret.String":
		return "secret"
	case "map[string]secret.String":
		return "secret key=value list"
	case "float64":
		return "number"
	case "int", "int64":
		return "integer"
	default:
		return goType
	}
}
