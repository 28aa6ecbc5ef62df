# Backend lab targets (docs/lab.md), included from the root Makefile:
#   include tools/lab.mk
#
#   make lab-build   build bin/jaeger and bin/otelcol (minutes the first time, then seconds)
#   make lab         build, then run the lab in the foreground on its fixed ports; Ctrl-C stops it
#
# LAB_FLAGS passes flags to the launcher, e.g.
#   make lab LAB_FLAGS='-secret-token=s3cret -dir=/tmp/lab'

LAB_TOOLS_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
GO ?= go
LAB_BUILD ?= $(LAB_TOOLS_DIR)/build.sh
LAB_LAUNCHER ?= ./internal/lab/cmd/lab
LAB_FLAGS ?=

.PHONY: lab-build lab
lab-build:
	bash $(LAB_BUILD)

lab: lab-build
	$(GO) run $(LAB_LAUNCHER) $(LAB_FLAGS)
