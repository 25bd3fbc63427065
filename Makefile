# doord — the two commands a newcomer needs are `make run` and `make test`.
GO      ?= go
BIN     := bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
PKGS    := ./...

.PHONY: run test test-unit test-arm qemu promtool build build-arm build-arm-check install lint bench bench-report clean

## run: the daemon on the simulated board, data in ./data, on 127.0.0.1:8080
## (make run LISTEN=0.0.0.0:9000 listens elsewhere). Built, then run
## directly rather than by go run: go run exits 1 on Ctrl-C whatever the
## daemon's status, and make would report that as an error.
LISTEN ?=
run:
	$(GO) build -o $(BIN)/doord ./cmd/doord
	$(BIN)/doord serve --config doord.example.toml $(if $(LISTEN),--listen '$(LISTEN)')

## test: tool checks (qemu, promtool), then two chains at once, each
## target's output printed whole when it ends: 64-bit (natsd, gofmt and
## vet, the tests with the race detector, the console's end-to-end tests,
## then the arm64 tests under qemu and link check) and 32-bit ARM (the
## GOARM 6 compile, then the tests under qemu for GOARM 6 and 7, the GOARM
## 7 link check). How long, and what each step costs: README, Tests.
test: qemu promtool
	$(MAKE) --no-print-directory -j2 --output-sync=target test-64 test-32

# The chains share no compile (natsd and amd64 with -race, then arm64;
# GOARM 6 and 7), and each keeps its own steps in order, since a step
# reuses the compiles of the one before it. Side by side they keep both
# cores busy: each chain alone leaves one idle for minutes (a compile's serial
# stretches, tests that wait on timers, a package's test binary finishing
# last). The split is by CPU: amd64 with every ARM target in the other
# chain left that chain running alone for its last four minutes. A
# failure in either fails make.
.PHONY: test-64 test-32
test-64: qemu natsd
	$(MAKE) --no-print-directory lint-amd64
	$(MAKE) --no-print-directory test-unit
	$(MAKE) --no-print-directory test-e2e
	$(TEST_ARM64)
	$(BUILD_ARM64)
# The 32-bit chain runs niced (ARM_NICE): its qemu runs are throughput
# work, while the other chain has steps that wait on a browser or on the
# daemons they start and then want a core at once; at equal priority the
# e2e took 83 s there for 32 CPU s (40 s alone), and the 64-bit chain
# ended a minute after the 32-bit one with both holding about the same
# CPU. Niced (64 s for the e2e), the 32-bit chain ends last, but its GOARM
# 7 run alone still keeps both cores busy.
test-32 compile-arm6: ARM_NICE = nice -n 5
test-32: qemu compile-arm6 natsd
	$(TEST_ARM6)
	$(TEST_ARM7)
	$(BUILD_ARM7)

# The 32-bit chain compiles its GOARM 6 tree first, beside natsd (the
# 64-bit chain's first step; make runs the two prerequisites as its two
# jobs): the GOARM 6 run needs natsd (the -exec wrapper, below), its
# compile does not. go list -export compiles every package and test
# variant, and the run finds them in the build cache (the same cache
# keys: it only links). When natsd came first for both chains, it ran
# alone for about a minute, the last half of it mostly on one core
# (nats-server's biggest package compiling by itself), and the 32-bit
# chain, the one that ends last, started after it.
.PHONY: compile-arm6
compile-arm6:
	CGO_ENABLED=0 GOARCH=arm GOARM=6 $(ARM_NICE) $(GO) list -export -test -deps $(TEST_PKGS) >/dev/null

# Every test run: -vet=off, as lint runs go vet with all its checks
# (a superset of the ones go test runs) on the same files (amd64 with
# -race; no file is built only on ARM); go test's own vet computed its
# facts for every dependency again on each of the four targets
# (measured: about 45 CPU s for amd64 with -race and 25-30 for each ARM
# target, about 125 of a cold run). Linking without DWARF (-ldflags=-w)
# saved nothing for the 25 race test binaries (20 CPU s either way); the
# ARM ones use it (ARM_TEST).
#
# -parallel 8: the fleet's tests that mostly wait on timers (an outage
# noticed after a 5 s timeout, reconnects, a stalled load) call t.Parallel
# and use little CPU; go test's default (GOMAXPROCS, 2 here) ran them two
# at a time. store/fleet: 75 s -> 32 s with -race, 68 s -> 28 s under
# qemu. No other package calls t.Parallel.
TEST_FLAGS := -count=1 -vet=off -parallel 8

# The tests' compiles emit no DWARF (-dwarf=false): a panic's or a race
# report's stack comes from the symbol table and the line tables, not
# DWARF, and nobody runs a debugger on these binaries. About a tenth of an
# ARM tree's compile goes (cold cache, GOARM 7: 117 CPU s instead of 130,
# twice alike), and 5-16 % of a cold make test (runs back to back: 1,206
# CPU s against 1,265; 1,002 and 1,031 against 1,192).
#
# And each compile runs its back end on one thread (-c=1; go build gives
# each compile up to GOMAXPROCS): make test keeps both cores busy with
# two chains and go test's two compiles or test binaries in each, so a
# compile's second thread finds no idle core and only adds its own
# overhead. Measured on one GOARM 7 tree from a cold cache, nine pairs
# alternated or side by side on the two cores: less CPU in seven (a
# median of 4.6 % less; from 20 % less to 4.5 % more).
# natsd's nats-server keeps go build's default (NATSD_FLAGS): it compiles
# before the chains start, its biggest package last, alone.
#
# Both are set in GOFLAGS (quoted, go splits GOFLAGS as a shell would),
# for these targets only, so that what the tests build themselves (the
# daemon, natsd, the e2e's daemon) shares the compiles; NATSD_FLAGS
# repeats -dwarf=false in its own -gcflags pattern, which replaces this
# one for nats-server's packages. A GOFLAGS of your own is kept, and one
# that sets -gcflags is left alone (a second -gcflags=all would override
# it).
TEST_GOFLAGS := $(strip $(GOFLAGS) $(if $(findstring -gcflags,$(GOFLAGS)),,'-gcflags=all=-dwarf=false -c=1'))
test test-64 test-32 compile-arm6 test-unit test-e2e test-arm lint lint-amd64 natsd build-arm-check: export GOFLAGS := $(TEST_GOFLAGS)

# No race-detector pause at exit: a race-built program sleeps a second
# after main returns by default (GORACE atexit_sleep_ms), for goroutines
# still running to report. Every test binary, every daemon the cmd/doord
# tests start from their own binary and the console e2e's daemon paid it:
# cmd/doord's suite took 78 s instead of 59, the e2e 50 s instead of 40.
# The tests stop what they start, so the pause found nothing. A GORACE
# of your own is kept.
export GORACE ?= atexit_sleep_ms=0

# The /metrics tests run Prometheus's promtool on the scraped body; under
# make a missing promtool fails them instead of skipping them.
export DOORD_REQUIRE_PROMTOOL := 1
# The completion tests load the scripts in real bash, zsh and fish; under
# make a missing shell fails them instead of skipping them.
export DOORD_REQUIRE_SHELLS := 1

# Test data on a RAM disk: every bbolt commit fsyncs, and some store tests
# commit thousands of times; on a disk those waits, not the CPU, were most
# of their time (store's TestBulkLoadMatchesOneByOne on the loaded 2-core
# machine: 103 s on disk, 9 s on tmpfs, a few seconds of CPU either way). The tests make the same calls; only the wait goes.
# Used when /dev/shm is a writable, executable tmpfs with 2 GB free
# (Docker's default 64 MB /dev/shm is not), each run in a fresh directory
# removed afterwards; else the default TMPDIR.
TMPFS := $(shell awk '$$2 == "/dev/shm" && $$3 == "tmpfs" && $$4 !~ /noexec/ { ok = 1 } END { exit !ok }' /proc/mounts 2>/dev/null && \
	[ -w /dev/shm ] && [ "$$(df -Pk /dev/shm | awk 'NR == 2 { print $$4 }')" -ge 2097152 ] && echo /dev/shm)
ON_TMPFS = $(if $(TMPFS),d=$$(mktemp -d $(TMPFS)/doord-test.XXXXXX) && trap 'rm -rf "$$d"' EXIT && trap 'exit 130' INT TERM HUP && export TMPDIR="$$d" &&)

# The fleet's tests run their nats-servers in natsd
# (store/fleet/natstest/natsd), a native program built here once, instead
# of linking nats-server into every test binary: that compiled it four
# times (amd64 with -race, GOARM 6, GOARM 7, arm64). natstest starts it
# from DOORD_NATSD; a missing one fails those tests. The test runs leave
# natsd's package out (TEST_PKGS), as go test compiles a package without
# tests too: nats-server again, instrumented or for ARM.
#
# natsd is built with -race, nats-server's own packages uninstrumented
# (NATSD_FLAGS): its standard library and shared dependencies are then
# the ones the race tests compile anyway, where a plain build compiled a
# second amd64 standard library (and vet its facts again), about 60 CPU s
# of a cold run. Running it costs about 4 CPU s more per fleet suite (the
# instrumented standard library under nats-server's calls).
NATSD_FLAGS := -race -gcflags='github.com/nats-io/nats-server/v2/...=-race=false -dwarf=false'
NATSD := $(CURDIR)/$(BIN)/natsd
export DOORD_NATSD := $(NATSD)
NATSD_PKG := %/store/fleet/natstest/natsd
TEST_PKGS = $(filter-out $(NATSD_PKG),$(shell $(GO) list $(SLOW_FIRST) $(PKGS)))
# The packages whose tests take longest, listed first: go test starts
# packages in the order given (go list keeps the first mention), and a
# long one started last ran alone on one core at the end of a run. The
# longest with -race: cmd/doord, httpapi, the fleet, access; under qemu:
# the fleet, store, access, cmd/doord, auth.
SLOW_FIRST := ./cmd/doord ./store/fleet ./store ./auth/access ./httpapi ./auth ./httpapi/basip ./store/listing

## natsd: the tests' nats-server runner (store/fleet/natstest)
.PHONY: natsd
natsd:
	$(GO) build $(NATSD_FLAGS) -o $(NATSD) ./store/fleet/natstest/natsd

test-unit: promtool natsd
	$(ON_TMPFS) $(GO) test -race $(TEST_FLAGS) $(TEST_PKGS)

# Every package is tested on every ARM target (GOARM 6, the Pi Zero and
# Pi 1: ARMv6 with VFPv1 floating point, where Go's 64-bit atomics take a
# lock; GOARM 7, the Pi 2 and 3 on a 32-bit OS, with LDREXD/STREXD; arm64),
# each with -short: every test that has a short form runs the same logic
# at a smaller size (the scale and sweep tests: fewer profiles, rounds,
# seeds), and the HTTP and daemon suites, which only add the same code
# again through a socket, keep one test per part of the API. The long
# sizes, the HTTP suites' long cases and the OpenAPI validation of every
# exchange run above, on amd64 with -race (the validator is not even
# compiled for ARM, see httpapi/contract_test.go). The packages whose
# code or data layout differs by architecture (the GPIO ioctls, the index
# tables, bbolt's map, the decoder's timing arithmetic, the door runtime's
# atomics, the password hashes) have no short form beyond those sweeps:
# on ARM they run whole. The sweeps' full sizes on GOARM 6 as well cost
# about 50 CPU s of a cold make test (a twentieth) for more seeds of the
# same code.

## qemu: fail at once, before any build, when the ARM test runners are missing
qemu:
	@missing=; for q in qemu-arm-static qemu-aarch64-static; do command -v $$q >/dev/null || missing="$$missing $$q"; done; \
	if [ -n "$$missing" ]; then echo "missing:$$missing: apt-get install qemu-user-static (or run .ci/run)"; exit 1; fi

## promtool: fail at once, before any build, when Prometheus's promtool
## (the /metrics tests check the exposition format with it) is missing
promtool:
	@command -v promtool >/dev/null || { echo "missing: promtool: apt-get install prometheus (Debian's package has it; or run .ci/run)"; exit 1; }

# Each ARM test binary runs under `natsd run` (native), which serves the
# fleet tests' nats-servers to it (DOORD_NATSD_ADDR): under qemu-user a
# test must not start natsd itself, as a fork there can deadlock.
# DOORD_QEMU=1 tells the tests they run under qemu-user (board/qemu),
# where a test that starts a program (a shell, make, promtool, the daemon)
# can deadlock in qemu's fork: those skip there and run on amd64 above.
# ARM_TIMEOUT bounds each package's test binary, so that a hang fails
# fast with every goroutine's stack instead of eating CI's budget (go
# test's default is 10 minutes). The slowest ARM package took 238 s with
# the 2-core machine at a load of 25 (cmd/doord, GOARM 7 -short, before
# its worst cases were cut): on a busier machine, raise it
# (make test ARM_TIMEOUT=10m).
ARM_TIMEOUT ?= 6m
# -ldflags=-w: the ARM test binaries are linked without DWARF (a panic's
# stack comes from the symbol table, not DWARF; nobody runs a debugger
# on them): 25 % less link time, about 3.5 CPU s per ARM target.
ARM_TEST     = CGO_ENABLED=0 DOORD_QEMU=1 $(ARM_NICE) $(GO) test $(TEST_FLAGS) -ldflags=-w -timeout $(ARM_TIMEOUT)

## test-arm: every package under qemu-user for 32-bit ARM (GOARM 6, 7) and arm64
# $(call arm_test,TARGET,QEMU): every package for TARGET under QEMU.
arm_test   = $(ON_TMPFS) $(1) $(ARM_TEST) -short -exec '$(NATSD) run $(2)' $(TEST_PKGS)
TEST_ARM6  = $(call arm_test,GOARCH=arm GOARM=6,qemu-arm-static)
TEST_ARM7  = $(call arm_test,GOARCH=arm GOARM=7,qemu-arm-static)
TEST_ARM64 = $(call arm_test,GOARCH=arm64,qemu-aarch64-static)
test-arm: qemu natsd
	$(TEST_ARM6)
	$(TEST_ARM7)
	$(TEST_ARM64)

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/doord ./cmd/doord

## build-arm: static binaries for ARMv7 (Pi 2/3 32-bit OS) and arm64 (Pi 3/4/5 64-bit OS)
build-arm:
	CGO_ENABLED=0 GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/doord-linux-armv7 ./cmd/doord
	CGO_ENABLED=0 GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/doord-linux-arm64 ./cmd/doord

## build-arm-check: the ARM daemon binaries compile and link (what
## build-arm makes, without -trimpath: that flag changes every package's
## cache key, and under make test would compile the whole dependency tree
## twice more, minutes on a cold cache, for the same code test-arm builds)
build-arm-check:
	$(BUILD_ARM7)
	$(BUILD_ARM64)
BUILD_ARM7  = CGO_ENABLED=0 GOARCH=arm GOARM=7 $(GO) build -ldflags '$(LDFLAGS)' -o /dev/null ./cmd/doord
BUILD_ARM64 = CGO_ENABLED=0 GOARCH=arm64 $(GO) build -ldflags '$(LDFLAGS)' -o /dev/null ./cmd/doord

## install: the binary, the systemd unit, the system user, a config (never
## overwriting one) and the data directory. PREFIX (default /usr/local) and
## DESTDIR are honoured; with DESTDIR (a staging tree, e.g. for a package)
## the user is not created and nothing is chowned: the package's own
## scripts run systemd-sysusers and set the owners. DOORD_BIN installs a
## binary built elsewhere (make build-arm) instead of building one.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
# Fixed: the unit's ConfigurationDirectory= and StateDirectory= name them.
CONFDIR     := /etc/doord
STATEDIR    := /var/lib/doord
DOORD_BIN   ?= $(BIN)/doord
install: $(if $(filter $(BIN)/doord,$(DOORD_BIN)),build)
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(DOORD_BIN) $(DESTDIR)$(BINDIR)/doord
	sed 's|/usr/local/bin/doord|$(BINDIR)/doord|' cmd/doord/doord.service > $(DESTDIR)$(UNITDIR)/doord.service.tmp
	chmod 0644 $(DESTDIR)$(UNITDIR)/doord.service.tmp && mv $(DESTDIR)$(UNITDIR)/doord.service.tmp $(DESTDIR)$(UNITDIR)/doord.service
	install -m 0644 cmd/doord/doord.sysusers $(DESTDIR)$(SYSUSERSDIR)/doord.conf
	install -d -m 0750 $(DESTDIR)$(CONFDIR)
	@if [ -e $(DESTDIR)$(CONFDIR)/doord.toml ]; then \
		echo "kept $(DESTDIR)$(CONFDIR)/doord.toml (an existing config is never overwritten)"; \
	else \
		echo "install -m 0640 doord.example.toml $(DESTDIR)$(CONFDIR)/doord.toml"; \
		install -m 0640 doord.example.toml $(DESTDIR)$(CONFDIR)/doord.toml; \
	fi
	install -d -m 0700 $(DESTDIR)$(STATEDIR)
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
		set -x; systemd-sysusers $(SYSUSERSDIR)/doord.conf && \
		chgrp doord $(CONFDIR) $(CONFDIR)/doord.toml && chown doord:doord $(STATEDIR); \
	else \
		echo "not root or DESTDIR set: run systemd-sysusers $(SYSUSERSDIR)/doord.conf, then chgrp doord $(CONFDIR) $(CONFDIR)/doord.toml and chown doord:doord $(STATEDIR)"; \
	fi

# lint vets amd64 with -race so that it compiles every package exactly as
# test-unit then does (one amd64 compile of the tree instead of two), and
# natsd with NATSD_FLAGS, as make natsd builds it (the -gcflags pattern
# touches only nats-server's packages, so the rest of the tree keeps the
# race tests' compiles). vet's checks do not depend on the architecture,
# only which files are built does, and no file is built only on ARM
# (httpapi/contract_test.go says how the OpenAPI validator is left out
# there); test-arm compiles every package for each ARM target.
.PHONY: lint lint-amd64
lint: lint-amd64
lint-amd64:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(NATSD_FLAGS) $(TEST_PKGS) ./store/fleet/natstest/natsd

## bench: the benchmarks quoted in BENCHMARKS.md
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./httpapi/ ./store/ ./board/...

## bench-report: re-run BENCHMARKS.md's headline figures (creates, start
## to health and decisions at 1M users, doordgen's memory, bytes per
## event) and print them with the machine and the date; on a quiet machine
bench-report:
	sh cmd/scripts/bench-report.sh

clean:
	rm -rf $(BIN)

## test-e2e: the web console's end-to-end tests (Playwright and axe-core on
## Debian's Chromium against doord on the simulated board; screenshots to
## httpapi/console/screenshots). Fails at once without /usr/bin/chromium or
## httpapi/console/e2e/node_modules (.ci/run installs both).
# Under make test the daemon is built with -race: test-unit compiled
# every package it needs that way, so the build is a link (and the run
# checks the daemon for races too) instead of a second amd64 tree.
.PHONY: test-e2e
test-e2e:
	GOFLAGS="$(GOFLAGS) -race" httpapi/console/e2e/run

## screenshots: the console's pages at desktop and phone size, saved over
## the README's copies in httpapi/console/screenshots
.PHONY: screenshots
screenshots:
	DOORD_SCREENSHOTS=$(CURDIR)/httpapi/console/screenshots httpapi/console/e2e/run specs/pages.test.js

## bench-console-search: the people search measured in the browser at USERS
## users (default 1,000,000; loads them with doordgen first). BENCHMARKS.md.
.PHONY: bench-console-search
bench-console-search:
	USERS=$(or $(USERS),1000000) httpapi/console/e2e/search-1m
