package bootstrap_test

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/none"
)

// Slim builds (docs/performance.md): each tag removes its vendor SDK from the
// package graph of anything importing bootstrap, and only that one.
func TestSlimBuildTagsLeaveVendorSDKsOut(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list and go test")
	}
	sdks := []string{
		"github.com/DataDog/",                    // dd-trace-go
		"github.com/newrelic/",                   // the New Relic agent
		"go.opentelemetry.io/contrib/detectors/", // the cloud detectors
		"github.com/gogo/protobuf/",              // the Jaeger remote sampler's strategies
	}
	for _, tt := range []struct {
		tags string
		want [4]bool // whether each of sdks is in the graph
	}{
		{"", [4]bool{true, true, true, true}}, // the check below can fail: the full build has all
		{"otelswitch_nodatadog", [4]bool{false, true, true, true}},
		{"otelswitch_nonewrelic", [4]bool{true, false, true, true}},
		{"otelswitch_nocloud", [4]bool{true, true, false, true}},
		{"otelswitch_nojaegerremote", [4]bool{true, true, true, false}},
		{slimTags, [4]bool{false, false, false, false}},
	} {
		out, err := exec.Command("go", "list", "-deps", "-tags", tt.tags, ".").CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps -tags %q: %v\n%s", tt.tags, err, out)
		}
		for i, sdk := range sdks {
			var got []string
			for _, p := range strings.Fields(string(out)) {
				if strings.HasPrefix(p, sdk) {
					got = append(got, p)
				}
			}
			if (len(got) > 0) != tt.want[i] {
				t.Errorf("-tags %q: %d %s packages (%.3q); want them present = %v", tt.tags, len(got), sdk, got, tt.want[i])
			}
		}
	}
	// What a slim binary does when asked for what it lacks is tested under the
	// tags (leftout_*_test.go here and in internal/detect); run those tests
	// here so `go test ./...` covers them without a separate invocation.
	out, err := exec.Command("go", "test", "-count=1", "-tags", slimTags,
		"-run", "^TestLeftOut", "-v", ".", "../internal/detect").CombinedOutput()
	if err != nil {
		t.Fatalf("go test -tags %s: %v\n%s", slimTags, err, out)
	}
	for _, name := range []string{"TestLeftOutDatadog", "TestLeftOutNewRelic", "TestLeftOutCloud", "TestLeftOutCloudDetectors", "TestLeftOutJaegerRemote"} {
		if !strings.Contains(string(out), "--- PASS: "+name+" ") {
			t.Errorf("%s did not pass under the tags:\n%s", name, out)
		}
	}
}

// slimTags are every tag that leaves something out: the slim build.
const slimTags = "otelswitch_nodatadog,otelswitch_nonewrelic,otelswitch_nocloud,otelswitch_nojaegerremote"

// A backend that is not chosen costs nothing at Init: Init with every
// built-in backend registered allocates what it allocates with only the
// chosen one, and no vendor SDK goroutine runs afterwards.
func TestUnchosenBackendsCostNothingAtInit(t *testing.T) {
	only := func(name string, f exporters.Factory) *exporters.Registry {
		r := exporters.NewRegistry()
		if err := r.Register(name, f); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tt := range []struct {
		name   string
		env    env
		chosen *exporters.Registry
	}{
		{"none", env{"TELEMETRY_BACKEND": "none"}, only("none", none.Factory{})},
		// Chosen by credentials: every registered factory's Detect runs (the
		// Datadog one looks for the Agent's sockets, as dd-trace-go does), so
		// the baseline keeps every Detect and takes away every New.
		{"detected", env{"ENVIRONMENT": "production"}, detectOnly(t, "detected", detected{})},
	} {
		allocs := func(r *exporters.Registry) float64 {
			best := -1.0
			for range 3 { // the least of three runs: a background goroutine may allocate during one
				n := testing.AllocsPerRun(10, func() {
					tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(tt.env.Lookup),
						bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard), bootstrap.WithRegistry(r))
					if err != nil {
						t.Fatal(err)
					}
					ctx, cancel := context.WithCancel(context.Background())
					cancel()
					_ = tel.Shutdown(ctx)
				})
				if best < 0 || n < best {
					best = n
				}
			}
			return best
		}
		every := bootstrap.DefaultRegistry()
		if err := every.Register("detected", detected{}); err != nil {
			t.Fatal(err)
		}
		all, one := allocs(every), allocs(tt.chosen)
		t.Logf("%s: Init allocates %.0f times with every backend registered, %.0f with only the chosen one", tt.name, all, one)
		// AllocsPerRun counts the whole process, so the pipeline's own
		// goroutines (batchers, the runtime metrics) add a few allocations
		// either way; a vendor SDK started at Init adds hundreds.
		const noise = 16
		if all > one+noise {
			t.Errorf("%s: Init allocates %.0f times with every backend registered, %.0f with only the chosen one; an unchosen backend does work at Init",
				tt.name, all, one)
		}
	}

	tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(env{"TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": closedPort(t)}.Lookup),
		bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = tel.Shutdown(ctx)
	}()
	time.Sleep(100 * time.Millisecond) // what an SDK starts in the background has started by now
	var stacks strings.Builder
	if err := pprof.Lookup("goroutine").WriteTo(&stacks, 2); err != nil {
		t.Fatal(err)
	}
	for _, sdk := range []string{"github.com/DataDog/", "github.com/newrelic/"} {
		if strings.Contains(stacks.String(), sdk) {
			t.Errorf("TELEMETRY_BACKEND=jaeger, yet a %s goroutine runs:\n%s", sdk, stacks.String())
		}
	}
}

// detected is the none backend, detected whenever it is asked: a backend
// chosen by credentials without a network client's background allocations.
type detected struct{ none.Factory }

// detectOnly returns a registry with chosen under name and, beside it, every
// built-in backend reduced to its Detect: building one fails the test.
func detectOnly(t *testing.T, name string, chosen exporters.Factory) *exporters.Registry {
	r := exporters.NewRegistry()
	if err := r.Register(name, chosen); err != nil {
		t.Fatal(err)
	}
	every := bootstrap.DefaultRegistry()
	for _, n := range every.Names() {
		f, _ := every.Lookup(n)
		if err := r.Register(n, detector{f, t}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// detector is a factory that only detects.
type detector struct {
	exporters.Factory
	t *testing.T
}

func (d detector) New(context.Context, exporters.Settings) (*exporters.Backend, error) {
	d.t.Error("an unchosen backend was built")
	return nil, errors.New("not chosen")
}

func (detected) Detect(func(string) (string, bool)) bool { return true }
