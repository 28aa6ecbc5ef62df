package bootstrap

import (
	"log/slog"
	"strings"
)

// logStartup writes the one line that says what Init set up, as
// dd-trace-go's startup log does, then a warning for each setting that looks
// wrong for the environment. TELEMETRY_STARTUP_LOG=false silences the line,
// not the warnings. Endpoints hold no credential; nothing else here can.
func logStartup(logger *slog.Logger, p *Plan) {
	if p.env.StartupLog {
		names := make([]string, 0, len(p.Backends))
		var endpoints []string
		for _, b := range p.Backends {
			names = append(names, b.Name)
			for _, e := range b.Endpoints {
				endpoints = append(endpoints, b.Name+" "+e.Signal+" "+e.Protocol+" "+e.URL)
			}
		}
		attrs := []any{
			"environment", p.Environment,
			"service", p.ServiceName,
			"backends", strings.Join(names, ","),
			"endpoints", strings.Join(endpoints, "; "),
			"sampler", p.Sampler,
			"signals", strings.Join(p.Signals, ","),
		}
		if p.SamplerRatio != 0 {
			attrs = append(attrs, "sampler_ratio", p.SamplerRatio)
		}
		logger.Info("otelswitch started", attrs...)
	}
	for _, w := range p.Warnings {
		logger.Warn(w)
	}
}
