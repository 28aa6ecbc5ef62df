package compare_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/otelswitch/otelswitch/internal/lab"
	"github.com/otelswitch/otelswitch/sample-app/internal/compare"
)

// Compare two backends against a lab of its own and print the table. (No
// Output: it needs the lab's binaries, from `make lab-build`.)
func Example() {
	ctx := context.Background()
	l, err := lab.Start(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	rep, err := compare.Run(ctx, l,
		compare.WithBackends("jaeger", "elastic"),
		compare.WithDuration(5*time.Second),
		compare.WithProgress(os.Stderr))
	if err != nil {
		log.Fatal(err)
	}
	if err := rep.WriteTable(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// The backends WithBackends accepts. datadog-otlp is the datadog backend in
// OTLP mode, beside native datadog in its own run but not in the fan-out.
func ExampleNames() {
	fmt.Println(strings.Join(compare.Names(), ", "))
	// Output: jaeger, datadog, newrelic, elastic, datadog-otlp
}
