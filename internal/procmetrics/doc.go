// Package procmetrics reports the process metrics the contrib runtime
// instrumentation lacks, as observable instruments named by the semantic
// conventions: process.cpu.time (by cpu.mode), process.memory.usage (the
// resident set) and process.unix.file_descriptor.count. Values are read at
// each collection, so nothing runs between exports. Where a value cannot be
// read (no /proc outside Linux), its instrument reports nothing.
package procmetrics
