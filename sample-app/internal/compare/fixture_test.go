package compare

import "time"

// sampleReport is a comparison as Run reports it, with newrelic failing
// part-way through: what the rendering tests and the example show.
func sampleReport() *Report {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	req := func(n int, rps float64, p50, p99, cpu float64) Requests {
		return Requests{Count: n, RPS: rps, P50: ms(p50), P90: ms(p99 / 2), P99: ms(p99), Max: ms(p99 * 2), CPU: ms(cpu)}
	}
	ok := func(backend string, n, bytes int64, p50, p99 float64, seen Identity, from string) Delivery {
		return Delivery{Backend: backend, Status: StatusOK, Sent: n, Exports: n / 512, Bytes: bytes,
			ExportP50: ms(p50), ExportP99: ms(p99), Stored: n, StoredExact: true, StoredFrom: from, Seen: seen}
	}
	id := func(svc string) Identity {
		return Identity{Service: "compare-7f3a-" + svc, Env: "production", Version: "1.0.0"}
	}
	failed := Delivery{Backend: "newrelic", Sent: 4096, Dropped: 6144, Exports: 20, FailedExports: 12, Bytes: 250_000,
		ExportP50: ms(9), ExportP99: ms(40), LastError: "Post \"http://127.0.0.1:14318/v1/traces\": dial tcp 127.0.0.1:14318: connect: connection refused",
		Stored: 4096, StoredExact: true, Seen: id("newrelic")}
	failed.judge(10240)
	rep := &Report{
		Started: time.Date(2025, 11, 23, 14, 0, 0, 0, time.UTC),
		Settings: Settings{Backends: []string{"jaeger", "datadog", "newrelic", "elastic"}, Duration: 30 * time.Second,
			Concurrency: 4, Seed: 1, Mix: "list=25,get=25,create=15,update=10,delete=5,io=5,cpu=5,chain=5,health=3,error=2",
			Environment: "production", Version: "1.0.0", RunID: "7f3a", Lab: "Jaeger http://127.0.0.1:16686"},
		Machine:  Machine{OS: "linux", Arch: "amd64", CPUs: 2, CPUModel: "AMD EPYC", MemoryMB: 24000, GoVersion: "go1.26.0"},
		Baseline: Pass{Name: "off", Service: "compare-7f3a-off", Requests: req(48000, 1600, 0.34, 24.1, 0.39)},
		Alone: []Pass{
			{Name: "jaeger", Service: "compare-7f3a-jaeger", Backends: []string{"jaeger"}, SpansMade: 120000,
				Requests:   req(45000, 1500, 0.36, 25.0, 0.44),
				Deliveries: []Delivery{ok("jaeger", 120000, 38_000_000, 24, 320, id("jaeger"), "Jaeger query API (/api/traces)")}},
			{Name: "datadog", Service: "compare-7f3a-datadog", Backends: []string{"datadog"}, SpansMade: 110000,
				Requests:   req(42000, 1400, 0.38, 27.1, 0.43),
				Deliveries: []Delivery{ok("datadog", 110000, 70_000_000, 253, 1071, id("datadog"), "collector receiver datadog (its output file)")}},
			{Name: "newrelic", Service: "compare-7f3a-newrelic", Backends: []string{"newrelic"}, SpansMade: 10240,
				Requests:   req(4000, 1450, 0.36, 23.4, 0.44),
				Deliveries: []Delivery{failed}},
			{Name: "elastic", Service: "compare-7f3a-elastic", Backends: []string{"elastic"}, SpansMade: 118000,
				Requests:   req(44500, 1480, 0.33, 23.2, 0.41),
				Deliveries: []Delivery{ok("elastic", 118000, 40_000_000, 13.8, 35.1, id("elastic"), "collector receiver elastic-bearer (its output file)")}},
		},
	}
	fan := Pass{Name: "fan-out", Service: "compare-7f3a-fanout", Backends: []string{"jaeger", "datadog", "newrelic", "elastic"},
		SpansMade: 100000, Requests: req(38000, 1260, 0.47, 26.8, 0.49)}
	for _, b := range fan.Backends {
		d := ok(b, 100000, 30_000_000, 20, 200, id("fanout"), "")
		if b == "newrelic" {
			d = failed
		}
		fan.Deliveries = append(fan.Deliveries, d)
	}
	rep.FanOut = &fan
	for i := range rep.Alone {
		rep.Alone[i].Cost = costOf(rep.Alone[i].Requests, rep.Baseline.Requests)
	}
	rep.FanOut.Cost = costOf(fan.Requests, rep.Baseline.Requests)
	return rep
}
