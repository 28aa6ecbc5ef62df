package lab_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/otelswitch/otelswitch/internal/lab"
)

// Start a lab, let something export to it, and read back what the Elastic
// secret-token receiver accepted. (No Output: it needs bin/ from
// `make lab-build`.)
func Example() {
	ctx := context.Background()
	l, err := lab.Start(ctx)
	if err != nil {
		log.Fatal(err) // names the taken port, or says to run `make lab-build`
	}
	defer l.Close()

	// ... export spans to l.ElasticBearerGRPC with the header
	// "Authorization: Bearer " + l.SecretToken ...

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	spans, err := l.WaitForSpans(ctx, lab.SourceElasticBearer, 1, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(spans[0].Name, spans[0].Attributes[lab.AttrAuthorization])
}
