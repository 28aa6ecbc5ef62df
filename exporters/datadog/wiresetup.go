package datadog

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/DataDog/datadog-agent/pkg/trace/traceutil/normalize"

	"github.com/otelswitch/otelswitch/exporters"
)

// mirrorPath makes native mode mirror every span into dd-trace-go, as it
// did before the wire path; only the differential test sets it.
var mirrorPath atomic.Bool

// runtimeID identifies this process in the runtime-id tag, as dd-trace-go's
// does its own (a random UUID, once per process).
var runtimeID = newUUID()

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// useWire makes p send its spans itself, to a, with the identity, tags and
// bounds of the backend.
func (p *nativeProcessor) useWire(c Config, a Agent, id Identity, tags []Tag, s exporters.Settings, containerID string, rates *Sampler) {
	cfg := &wireConfig{
		service: id.Service, env: id.Env, version: id.Version,
		globalTags:  []strTag{{"runtime-id", runtimeID}},
		gitTags:     gitTags(c, buildVCS),
		processTags: processTags(c.ProcessTags == nil || *c.ProcessTags),
		pid:         float64(os.Getpid()),
	}
	for _, t := range tags {
		cfg.globalTags = append(cfg.globalTags, strTag{t.Key, t.Value})
	}
	timeout := s.ExportTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	client := &http.Client{Timeout: timeout, Transport: agentRoundTripper(a, timeout)}
	client = withAgentRates(withContainerID(client, containerID), rates)
	base := a.URL.Scheme + "://" + a.URL.Host
	if a.Socket() != "" {
		base = "http://localhost"
	}
	limits := batchLimits{
		delay: s.Batch.Delay, timeout: timeout,
		maxQueue: max(s.Batch.MaxQueue, 1), maxExport: max(s.Batch.MaxExport, 1),
	}
	if limits.delay <= 0 {
		limits.delay = 2 * time.Second // dd-trace-go's flush interval
	}
	p.wireCfg = cfg
	p.wire = newWireSender(client, base, cfg, p, p.wireDropped, limits)
}

// wireDropped counts a chunk the sender's full queue could not take.
func (p *nativeProcessor) wireDropped(spans int) {
	p.stats.Dropped(spans, true)
	p.resolved.Add(int64(spans))
}

// buildVCS is the git commit and module path the binary was built from.
func buildVCS() (sha, path string, ok bool) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", "", false
	}
	var vcs string
	for _, st := range info.Settings {
		switch st.Key {
		case "vcs":
			vcs = st.Value
		case "vcs.revision":
			sha = st.Value
		}
	}
	return sha, info.Path, vcs == "git"
}

// processTags is dd-trace-go's _dd.tags.process: the executable's name and
// directory, the working directory, and that the service was named by the
// user; "" when not enabled (DD_EXPERIMENTAL_PROPAGATE_PROCESS_TAGS_ENABLED).
func processTags(enabled bool) string {
	if !enabled {
		return ""
	}
	tags := map[string]string{"svc.user": "true"}
	if exe, err := os.Executable(); err == nil {
		tags["entrypoint.name"] = filepath.Base(exe)
		tags["entrypoint.type"] = "executable"
		if d, ok := dirTag(filepath.Dir(exe)); ok {
			tags["entrypoint.basedir"] = d
		}
	}
	if wd, err := os.Getwd(); err == nil {
		if d, ok := dirTag(wd); ok {
			tags["entrypoint.workdir"] = d
		}
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = normalize.NormalizeTag(k + ":" + tags[k])
	}
	return strings.Join(out, ",")
}

func dirTag(dir string) (string, bool) {
	name := filepath.Base(dir)
	if dir == "" || name == "" || name == "bin" || name == string(os.PathSeparator) {
		return "", false
	}
	return name, true
}
