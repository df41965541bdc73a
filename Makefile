# testjail: plain Makefile, libraries via pkg-config.
PREFIX ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

CC ?= gcc
PKGS := libseccomp libcap-ng jansson libcgroup libmd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS)) -lm

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes -Wno-unused-parameter -Wno-format-truncation
ifdef CI
WARN += -Werror
endif
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -fPIE
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARN) $(HARDEN) -D_GNU_SOURCE -DTJ_VERSION='"$(VERSION)"' -Irunner -I. $(PKG_CFLAGS)
LDHARDEN := -Wl,-z,relro,-z,now,-z,noexecstack
override LDFLAGS += -pie $(LDHARDEN)

# runner/ holds the commands over a library of layers, one folder each
# (README "Architecture"); includes name a header by its layer: "go/job.h".
LAYERS := runner runner/cmd runner/go runner/sandbox runner/seccomp runner/report runner/common cgroup
LIB_SRCS := $(filter-out runner/main.c,$(foreach d,$(LAYERS),$(wildcard $(d)/*.c)))
LIB_OBJS := $(LIB_SRCS:.c=.o) runner/seccomp/profiles_data.o
PROFILES := $(wildcard profiles/*.json)
HDRS := $(foreach d,$(LAYERS),$(wildcard $(d)/*.h))

UNIT_SRCS := $(wildcard unit-tests/test_*.c)
UNIT_BINS := $(UNIT_SRCS:.c=)

HELPER := integration-tests/helper/tjhelper

.PHONY: all deps format format-check check check-go check-asan unit integration check-v2 demo install bench clean static realworld fuzz fuzz-smoke soak

all: testjail

# testjail is linked statically (static-pie) unless DYNAMIC=1: loading and
# relocating five shared libraries costs more than the whole sandbox set-up
# on some machines (see bench/), and one file runs in any image. Notes on the
# static link and its licence terms are at the static target below.
ifdef DYNAMIC
testjail: runner/main.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
else
testjail: runner/main.o $(LIB_OBJS)
	$(CC) -static-pie $(LDHARDEN) -o $@ $^ $(STATIC_LIBS)
endif

# -MMD -MP: each object depends on the headers it includes, read from the
# .d file the compiler writes beside it.
%.o: %.c
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(foreach d,$(LAYERS),$(wildcard $(d)/*.d))

# The shipped profiles go into the binary (.incbin), so installed and static
# binaries need no data files.
runner/seccomp/profiles_data.o: runner/seccomp/profiles_data.S $(PROFILES)
	$(CC) -c -o $@ $<

unit-tests/test_%: unit-tests/test_%.c $(LIB_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(shell pkg-config --libs cmocka)

$(HELPER): integration-tests/helper/tjhelper.c
	$(CC) -O2 -std=gnu11 -Wall -Wextra -static -o $@ $<

deps:
	@bash .ci/deps.sh

# The C sources in .clang-format's style: `make format` rewrites them,
# format-check (part of check) names each file that differs.
CLANG_FORMAT ?= clang-format
C_SOURCES = $(shell find runner cgroup unit-tests fuzz integration-tests/helper -name '*.[ch]' | sort)
format:
	$(CLANG_FORMAT) -i $(C_SOURCES)
format-check:
	@command -v $(CLANG_FORMAT) >/dev/null || { echo "format-check: $(CLANG_FORMAT) is missing (make deps)" >&2; exit 1; }
	@bad=$$($(CLANG_FORMAT) --dry-run $(C_SOURCES) 2>&1 | sed -n 's/^\([^:]*\.[ch]\):[0-9]*:[0-9]*: .*-Wclang-format-violations.*/\1/p' | sort -u); \
	  for f in $$bad; do echo "$$f: not in .clang-format's style (make format)" >&2; done; [ -z "$$bad" ]

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; ./$$t; done

integration: testjail $(HELPER)
	bats --print-output-on-failure integration-tests/

check-v2: testjail $(HELPER)
	bash integration-tests/v2vm/run.sh

# check-v2: the same suite in pure cgroup v2 QEMU guests (integration-tests/v2vm/).
# Not part of check: under TCG (no KVM) it takes about 20 minutes of two
# cores. CI (.ci/run) runs it beside check-go and check-asan.
check: deps
	$(MAKE) format-check
	$(MAKE) testjail $(HELPER) $(UNIT_BINS)
	$(MAKE) unit
	$(MAKE) fuzz-smoke
	$(MAKE) integration

# soak: 1000 exec runs of every outcome in a row, 200 eight at once, 50
# with testjail SIGKILLed; then nothing may be left and testjail must not
# have grown (integration-tests/soak.sh; a few minutes, as root; not in
# check, in CI). SOAK_SERIAL, SOAK_PARALLEL, SOAK_JOBS, SOAK_KILLS change
# the counts.
soak: testjail $(HELPER)
	bash integration-tests/soak.sh

# check-asan: ASan and UBSan builds of testjail and the unit tests, run on
# the unit tests and the integration files that parse, report, notify and
# init (.ci/asan.sh says which).
check-asan: deps testjail $(HELPER)
	bash .ci/asan.sh

# check-go: the Go-facing suites again under Debian's Go 1.19, the oldest
# release testjail supports, first in PATH, and under a middle release the
# machine's go fetches as a toolchain module through the proxy (check runs
# the machine's newest).
GO_OLD_BIN ?= /usr/lib/go-1.19/bin
GO_MIDDLE ?= go1.22.12
GO_SUITES := test-outcomes test-output test-badinput test-gomaxprocs bisect-memory
check-go: testjail $(HELPER)
	@bash .ci/deps.sh golang-1.19-go
	PATH=$(GO_OLD_BIN):$$PATH go version
	PATH=$(GO_OLD_BIN):$$PATH bats --print-output-on-failure $(GO_SUITES:%=integration-tests/%.bats)
	GOTOOLCHAIN=$(GO_MIDDLE) go version
	GOTOOLCHAIN=$(GO_MIDDLE) bats --print-output-on-failure $(GO_SUITES:%=integration-tests/%.bats)

# The main job on a bundled example: a test that needs 512 MiB under a 64 MiB
# limit. go test alone would say only "signal: killed"; then a few more of
# examples/, each with its diagnosis (examples/README.md lists them all).
demo: deps testjail
	@mkdir -p .cache
	./testjail test --memory 64M --report .cache/demo-report.json ./examples/oom || true
	@python3 -c 'import json; r = json.load(open(".cache/demo-report.json")); print("\noutcome:", r["outcome"], "exit code", r["exit_code"], "|", r["diagnosis"])'
	@for ex in "./examples/exit255" "./examples/deadlock -- -timeout 0" "--pids-limit 32 ./examples/pids" \
	           "--env CC=no-such-cc ./examples/cgo"; do \
	  echo; echo "\$$ testjail test $$ex"; ./testjail test $$ex 2>&1 | tail -3; \
	done

install: testjail
	install -D -m 0755 testjail $(DESTDIR)$(PREFIX)/bin/testjail
	install -D -m 0644 docs/testjail.1 $(DESTDIR)$(PREFIX)/share/man/man1/testjail.1
	install -d $(DESTDIR)$(PREFIX)/share/testjail/profiles
	install -m 0644 $(PROFILES) $(DESTDIR)$(PREFIX)/share/testjail/profiles/

clean:
	rm -f testjail $(foreach d,$(LAYERS),$(d)/*.o $(d)/*.d) $(UNIT_BINS) $(HELPER)

bench: testjail
	bash bench/startup.sh
	bash bench/gotest.sh
	bash bench/seccomp.sh
	bash bench/realworld.sh
	bash bench/shard.sh

# Real test suites of the Go standard library, then of popular modules at
# pinned versions (integration-tests/realworld-modules.txt, through the Go
# module proxy): the same verdict under testjail test as under go test
# (about 20 minutes; CI runs a few standard-library ones in the suite). Both
# parts run even if the first fails.
realworld: testjail
	bash integration-tests/realworld.sh; s=$$?; bash integration-tests/realworld-modules.sh && exit $$s

# A static testjail for minimal container images (`testjail init` as the
# ENTRYPOINT of a FROM scratch image). Debian ships static archives of the
# four libraries; --static adds what they need in turn. glibc warns that
# libcap-ng and libcgroup reference NSS lookups (initgroups, getgrnam):
# testjail takes numeric ids only and never calls those paths. The LGPL
# terms this brings (libseccomp, libcap-ng, libcgroup): see README.
STATIC_LIBS = $(shell pkg-config --static --libs $(PKGS)) -lm

static: testjail-static

testjail-static: runner/main.o $(LIB_OBJS)
	$(CC) -static-pie $(LDHARDEN) -o $@ $^ $(STATIC_LIBS)

integration check-v2 check-go: testjail-static

.PHONY: clean-static
clean: clean-static
clean-static:
	rm -f testjail-static

# libFuzzer targets, one per parser of untrusted input: fuzz/NAME_fuzz.c,
# seeded from fuzz/seeds/NAME/ (FUZZ_CORPUS_NAME adds directories,
# FUZZ_ARGS_NAME options). They link the library built with the fuzzer's
# coverage and ASan+UBSan in .cache/fuzz-obj. `make fuzz` runs each for
# FUZZ_SECONDS (5 min); check runs fuzz-smoke (20 s each). New inputs
# collect in .cache/fuzz-corpus/NAME; a crash leaves .cache/fuzz-crash-NAME-*
# and fails the target.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_TARGETS := $(patsubst fuzz/%_fuzz.c,%,$(wildcard fuzz/*_fuzz.c))
FUZZ_BINS := $(FUZZ_TARGETS:%=fuzz/%_fuzz)
FUZZ_OBJ := .cache/fuzz-obj
FUZZ_LIB := $(FUZZ_OBJ)/libtestjail.a
FUZZ_CFLAGS = -g -O1 -std=gnu11 $(filter-out -Wno-format-truncation,$(WARN)) -Wno-missing-field-initializers -Wno-format-nonliteral -D_GNU_SOURCE -DTJ_VERSION='"$(VERSION)"' -Irunner -I. \
  $(PKG_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_ARGS_profile := -dict=fuzz/profile.dict -max_len=32768
FUZZ_CORPUS_profile := profiles unit-tests/data
FUZZ_ARGS_gotest := -max_len=65536
FUZZ_ARGS_gojson := -max_len=32768

$(FUZZ_OBJ)/%.o: %.c $(HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_OBJ)/runner/seccomp/profiles_data.o: runner/seccomp/profiles_data.S $(PROFILES)
	@mkdir -p $(@D)
	$(FUZZ_CC) -c -o $@ $<

$(FUZZ_LIB): $(LIB_OBJS:%=$(FUZZ_OBJ)/%)
	rm -f $@ && ar rcs $@ $^

fuzz/%_fuzz: fuzz/%_fuzz.c fuzz/fuzz.h $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(PKG_LIBS)

# fuzz-run-NAME: one target for FUZZ_TIME seconds. An input slower than 30 s
# (wall clock: a busy shared machine stretches 1 s of CPU to 15) fails it.
fuzz-run-%: fuzz/%_fuzz
	@mkdir -p .cache/fuzz-corpus/$*
	./$< $(FUZZ_ARGS_$*) -timeout=30 -rss_limit_mb=2048 -artifact_prefix=.cache/fuzz-crash-$*- -print_final_stats=1 \
	  -max_total_time=$(FUZZ_TIME) .cache/fuzz-corpus/$* fuzz/seeds/$* $(FUZZ_CORPUS_$*)

fuzz: FUZZ_TIME = $(FUZZ_SECONDS)
fuzz: $(FUZZ_TARGETS:%=fuzz-run-%)
fuzz-smoke: FUZZ_TIME = $(FUZZ_SMOKE_SECONDS)
fuzz-smoke: $(FUZZ_TARGETS:%=fuzz-run-%)

.PHONY: clean-fuzz
clean: clean-fuzz
clean-fuzz:
	rm -rf $(FUZZ_BINS) $(FUZZ_OBJ)
