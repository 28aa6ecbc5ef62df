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
// OTLP mode, beside native datadog in its own run but not in the fan-out;
// gateway is the collector gateway WithGateway describes.
func ExampleNames() {
	fmt.Println(strings.Join(compare.Names(), ", "))
	// Output: jaeger, datadog, newrelic, elastic, datadog-otlp, gateway
}

// Compare a collector gateway (deploy/collector/gateway.yaml, exporting to
// the lab's Jaeger) with the jaeger backend: the gateway's STORED is what
// its tail sampling kept. (No Output: it needs the lab and the gateway.)
func ExampleWithGateway() {
	ctx := context.Background()
	l, err := lab.Attach(ctx) // make lab, on the fixed ports
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	rep, err := compare.Run(ctx, l,
		compare.WithBackends("jaeger", compare.GatewayBackend),
		compare.WithGateway(compare.Gateway{Endpoint: "127.0.0.1:4319", Store: compare.StoreJaeger}),
		compare.WithDuration(5*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	if err := rep.WriteTable(os.Stdout); err != nil {
		log.Fatal(err)
	}
}
