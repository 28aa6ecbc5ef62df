// Command weight is `make weight`: what otelswitch adds to a service's binary
// and memory, next to OpenTelemetry wired by hand with the same exporters
// (docs/performance.md, "Binary weight"). For each variant it prints the
// binary size, the packages linked (go list -deps), the build time from an
// empty build cache and the resident memory of the idle process after one
// request.
//
//	go run ./internal/weight            # the table, in Markdown
//	go run ./internal/weight -warm      # build times with the cache as it is
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

type variant struct {
	name, pkg, tags string
	env             []string
}

func main() {
	warm := flag.Bool("warm", false, "time builds with the existing build cache instead of an empty one")
	flag.Parse()
	closed := closedAddr()
	variants := []variant{
		{"plain SDK (otelhttp, SDK, OTLP gRPC and HTTP)", "./internal/weight/plain", "", []string{"OTLP_ADDR=" + closed}},
		{"otelswitch, full", "./internal/weight/switched", "", []string{"TELEMETRY_BACKEND=jaeger", "JAEGER_ENDPOINT=" + closed}},
		{"otelswitch, slim (-tags otelswitch_nodatadog,otelswitch_nonewrelic,otelswitch_nocloud,otelswitch_nojaegerremote)", "./internal/weight/switched",
			"otelswitch_nodatadog,otelswitch_nonewrelic,otelswitch_nocloud,otelswitch_nojaegerremote", []string{"TELEMETRY_BACKEND=jaeger", "JAEGER_ENDPOINT=" + closed}},
	}
	dir, err := os.MkdirTemp("", "weight-")
	check(err)
	defer os.RemoveAll(dir)
	fmt.Println("| build | binary | packages | build time | idle RSS after one request |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: |")
	var plainSize int64
	for i, v := range variants {
		bin := filepath.Join(dir, strconv.Itoa(i))
		build := exec.Command("go", "build", "-trimpath", "-tags", v.tags, "-o", bin, v.pkg)
		build.Env = os.Environ()
		if !*warm {
			build.Env = append(build.Env, "GOCACHE="+filepath.Join(dir, "cache"+strconv.Itoa(i)))
		}
		start := time.Now()
		out, err := build.CombinedOutput()
		check(err, string(out))
		took := time.Since(start)
		st, err := os.Stat(bin)
		check(err)
		if i == 0 {
			plainSize = st.Size()
		}
		deps, err := exec.Command("go", "list", "-deps", "-tags", v.tags, v.pkg).Output()
		check(err)
		rss := idleRSS(bin, v.env)
		fmt.Printf("| %s | %.1f MB (%.2fx) | %d | %.0f s | %.1f MB |\n", v.name, float64(st.Size())/1e6,
			float64(st.Size())/float64(plainSize), len(strings.Fields(string(deps))), took.Seconds(), float64(rss)/1e6)
	}
}

// idleRSS starts bin, sends it one request, lets it settle and reads its
// resident set size from /proc.
func idleRSS(bin string, env []string) int64 {
	cmd := exec.Command(bin)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "ENVIRONMENT=development"}, env...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	check(err)
	check(cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	check(err)
	resp, err := http.Get("http://" + strings.TrimSpace(addr) + "/")
	check(err)
	resp.Body.Close()
	time.Sleep(2 * time.Second) // the batch processor's first export attempt, then idle
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	check(err)
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			check(err)
			return kb * 1024
		}
	}
	check(fmt.Errorf("no VmRSS in /proc/%d/status", cmd.Process.Pid))
	return 0
}

// closedAddr is a loopback address nothing listens on: exports fail fast and
// are dropped, the same for every variant.
func closedAddr() string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer lis.Close()
	return lis.Addr().String()
}

func check(err error, context ...string) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "weight:", err, strings.Join(context, " "))
		os.Exit(1)
	}
}
