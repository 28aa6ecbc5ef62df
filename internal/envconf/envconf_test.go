package envconf_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/internal/envconf"
	"github.com/otelswitch/otelswitch/internal/secret"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

type spec struct {
	Region  string        `envconfig:"TEST_REGION" default:"us" desc:"where to send"`
	Timeout time.Duration `envconfig:"TEST_TIMEOUT" default:"10s" desc:"how long to wait"`
	Key     secret.String `envconfig:"TEST_LICENSE_KEY" desc:"licence key"`
	Gzip    bool          `envconfig:"TEST_GZIP"`
}

func TestProcess(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    spec
		wantErr string
	}{
		{"defaults", nil, spec{Region: "us", Timeout: 10 * time.Second}, ""},
		{"values", map[string]string{"TEST_REGION": "eu", "TEST_TIMEOUT": "2s", "TEST_LICENSE_KEY": "k", "TEST_GZIP": "true"},
			spec{Region: "eu", Timeout: 2 * time.Second, Key: "k", Gzip: true}, ""},
		{"bad duration", map[string]string{"TEST_TIMEOUT": "soon"}, spec{}, `TEST_TIMEOUT="soon": want a duration such as 500ms, 5s or 1m`},
		{"bad bool", map[string]string{"TEST_GZIP": "yes please"}, spec{}, `TEST_GZIP="yes please": want true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got spec
			err := envconf.Process(testutil.Env(tt.env).Lookup, &got)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestProcessLeavesProcessEnvironmentAlone(t *testing.T) {
	if _, ok := os.LookupEnv("TEST_REGION"); ok {
		t.Skip("TEST_REGION is set in this environment")
	}
	var s spec
	if err := envconf.Process(testutil.Env(map[string]string{"TEST_REGION": "eu"}).Lookup, &s); err != nil {
		t.Fatal(err)
	}
	if _, ok := os.LookupEnv("TEST_REGION"); ok {
		t.Error("Process wrote to the process environment")
	}
	// The real environment is used again once the injected lookup is gone.
	var again spec
	if err := envconf.Process(nil, &again); err != nil || again.Region != "us" {
		t.Errorf("Process(nil) = %+v, %v; want the default region", again, err)
	}
}

func ExampleDescribe() {
	vars, _ := envconf.Describe(&spec{})
	for _, v := range vars {
		fmt.Printf("%s %s default=%q %q\n", v.Name, v.Type, v.Default, v.Description)
	}
	// Output:
	// TEST_REGION string default="us" "where to send"
	// TEST_TIMEOUT duration default="10s" "how long to wait"
	// TEST_LICENSE_KEY secret default="" "licence key"
	// TEST_GZIP bool default="" ""
}

func TestProcessReportsEveryBadValue(t *testing.T) {
	var s spec
	err := envconf.Process(testutil.Env(map[string]string{"TEST_TIMEOUT": "soon", "TEST_GZIP": "maybe", "TEST_REGION": "eu"}).Lookup, &s)
	want := "TEST_TIMEOUT=\"soon\": want a duration such as 500ms, 5s or 1m\nTEST_GZIP=\"maybe\": want true or false"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want\n%s", err, want)
	}
	if s.Region != "eu" || s.Timeout != 10*time.Second {
		t.Errorf("good values and defaults must still be read: %+v", s)
	}
}

func TestReadPrefixesTheBackend(t *testing.T) {
	lookup := func(k string) (string, bool) {
		v, ok := map[string]string{"TEST_REGION": "eu", "TEST_TIMEOUT": "soon"}[k]
		return v, ok
	}
	c, err := envconf.Read[spec]("mine", lookup)
	if err == nil || err.Error() != `mine: TEST_TIMEOUT="soon": want a duration such as 500ms, 5s or 1m` || c != (spec{}) {
		t.Errorf("Read = %+v, %v; want the zero spec and the error prefixed with the backend", c, err)
	}
	c, err = envconf.Read[spec]("mine", func(k string) (string, bool) { return map[string]string{"TEST_REGION": "eu"}[k], k == "TEST_REGION" })
	if err != nil || c.Region != "eu" || c.Timeout != 10*time.Second {
		t.Errorf("Read = %+v, %v; want eu and the default timeout", c, err)
	}
}
