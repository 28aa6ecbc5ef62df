// Command composeconfig writes tools/compose/otelcol.yaml, the collector
// config of docker-compose.yml, from the lab collector's template
// (lab.ComposeCollectorConfig). Run it through go generate ./internal/lab.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/otelswitch/otelswitch/internal/lab"
)

func main() {
	out := flag.String("o", "", "the file to write")
	flag.Parse()
	b, err := lab.ComposeCollectorConfig()
	if err == nil {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "composeconfig:", err)
		os.Exit(1)
	}
}
