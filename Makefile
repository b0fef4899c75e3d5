# surefoot — one entry point for every language.
#   make demo   the main job: the demo on the embedded emulator
#   make test   every test: Rust, C and Python
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: demo test test-rust lint doc emulator clean redis-available nginx-available system-packages

# Debug artefacts the C, soak and ABI rules need (libsurefoot, the emulator, the replay
# server, the soak worker) come from the same package selection as `cargo test --workspace
# --all-targets`: cargo unifies dependency features over the packages and targets one
# command selects, so `cargo build -p surefoot-c` alone would build tokio, hyper, reqwest
# and redis again with other features. After test-rust this builds nothing new.
SF_DEBUG_BUILD = $(CARGO) build --workspace --all-targets

# Each binding adds its own rules and appends its parts of make test to the lists below
# (see `test:`).
SF_TEST_ENV :=
SF_TEST_RUNS :=
SF_TEST_CHECKS :=
SF_TEST_LATE_CHECKS :=
SF_TEST_C_BUILD :=
SF_TEST_C_RUNS :=
.DEFAULT_GOAL := demo
-include bindings/c/rules.mk
-include bindings/python/rules.mk
# `make docs` (the site in target/docs); `make test` checks its links: docs/rules.mk.
-include docs/rules.mk
# `make bench` (never part of `make test`): side-by-side benchmarks, bench/RESULTS.md.
-include bench/rules.mk
# `make fuzz` (never part of `make test`, which replays the corpus): fuzz/rules.mk.
-include fuzz/rules.mk
# `make wheel` (the manylinux abi3 wheel and the sdist), `make package` (the crate) and
# `make compat` (the Rust API and the C ABI against the last release): release/rules.mk.
# make test runs package, the wheel's smoke test on the dev wheel, and compat.
-include release/rules.mk

demo:
	$(CARGO) run --quiet --release -p surefoot-cli -- demo

# make test runs everything, in two steps, so a fresh machine (CI) compiles while tests wait:
#  1. the format check, then every test binary, the debug C library and the emulator
#     (test-build), compiling on every core;
#  2. two lanes side by side. The test runs, one after another at normal priority: Rust,
#     then Python and the small soak (SF_TEST_RUNS), then C/C++ (SF_TEST_C_RUNS); they
#     mostly wait on servers and timers. Beside them at nice 19, so the runs keep their
#     timing, the builds and checks that need CPU instead, one after another: the Python
#     venv with the dev wheel (SF_TEST_ENV, which the Python runs wait for), the C tests'
#     build with the release library (SF_TEST_C_BUILD, which the C runs wait for), then
#     the packaged crate, the Rust API check, clippy and rustdoc (SF_TEST_CHECKS). The
#     checks that compile none of the workspace (the header's drift, with cbindgen's own
#     build; the docs site; the wheel's smoke test; the C ABI: SF_TEST_LATE_CHECKS) run in
#     the test lane once its runs are done, beside the checks left in the other. The checks' output goes to $(SF_CHECKS_LOG) and
#     $(SF_LATE_CHECKS_LOG), printed when both lanes are done.
# Every part also runs alone: make test-rust, test-c, test-python, lint, doc, package, ...
SF_CHECKS_LOG := target/make-test-checks.log
SF_LATE_CHECKS_LOG := target/make-test-late-checks.log
SF_TEST_CHECKS += lint doc

test: system-packages
	$(CARGO) fmt --all -- --check
	$(MAKE) --no-print-directory test-build
	@mkdir -p $(dir $(SF_CHECKS_LOG)) && rm -f $(SF_CHECKS_LOG) $(SF_LATE_CHECKS_LOG); rc=0; \
	$(MAKE) --no-print-directory -j2 sf-lane-runs sf-lane-checks || rc=$$?; \
	echo "--- make test's builds and checks, run beside the tests ($(SF_CHECKS_LOG)):"; \
	cat $(SF_CHECKS_LOG); \
	echo "--- make test's checks run after the tests ($(SF_LATE_CHECKS_LOG)):"; \
	cat $(SF_LATE_CHECKS_LOG) 2>/dev/null; \
	if [ $$rc -ne 0 ]; then echo "make test: a part failed (exit $$rc): see above" >&2; fi; exit $$rc

test-build:
	$(CARGO) test --workspace --all-targets --no-run
	$(SF_DEBUG_BUILD)

# The lanes (used by `test` only; make -j2 runs one part of each at a time). Each part runs
# outside the job server (SF_NO_JOBS), so cargo in a lane compiles on every core, not on
# one job slot.
SF_NO_JOBS = MAKEFLAGS='$(filter-out -j% --jobserver-auth=% --jobserver-fds=%,$(MAKEFLAGS))'
SF_LANE_RUN = $(SF_NO_JOBS) $(MAKE) --no-print-directory
SF_LANE_BUILD = $(SF_NO_JOBS) nice -n 19 $(MAKE) --no-print-directory
.PHONY: test-build sf-lane-rust sf-lane-early-runs sf-lane-runs sf-lane-env sf-lane-c-build \
	sf-lane-checks
# Each part notes the time it started, in the output or in the checks' log.
sf_lane_mark = echo "--- $(1) ($$(date +%T))"
sf-lane-rust:
	@$(call sf_lane_mark,test-rust)
	$(SF_LANE_RUN) test-rust
sf-lane-early-runs: sf-lane-rust sf-lane-env
	@$(call sf_lane_mark,$(SF_TEST_RUNS))
	$(SF_LANE_RUN) $(SF_TEST_RUNS)
sf-lane-runs: sf-lane-early-runs sf-lane-c-build
	@$(call sf_lane_mark,$(SF_TEST_C_RUNS))
	$(SF_LANE_RUN) $(SF_TEST_C_RUNS)
	@$(call sf_lane_mark,$(SF_TEST_LATE_CHECKS)) >> $(SF_LATE_CHECKS_LOG)
	$(SF_LANE_RUN) $(SF_TEST_LATE_CHECKS) >> $(SF_LATE_CHECKS_LOG) 2>&1
	@$(call sf_lane_mark,the late checks done) >> $(SF_LATE_CHECKS_LOG)
sf-lane-env:
	@$(call sf_lane_mark,$(SF_TEST_ENV)) >> $(SF_CHECKS_LOG)
	$(SF_LANE_BUILD) $(SF_TEST_ENV) >> $(SF_CHECKS_LOG) 2>&1
sf-lane-c-build: sf-lane-env
	@$(call sf_lane_mark,$(SF_TEST_C_BUILD)) >> $(SF_CHECKS_LOG)
	$(SF_LANE_BUILD) $(SF_TEST_C_BUILD) >> $(SF_CHECKS_LOG) 2>&1
sf-lane-checks: sf-lane-c-build
	@$(call sf_lane_mark,$(SF_TEST_CHECKS)) >> $(SF_CHECKS_LOG)
	$(SF_LANE_BUILD) $(SF_TEST_CHECKS) >> $(SF_CHECKS_LOG) 2>&1
	@$(call sf_lane_mark,the checks done) >> $(SF_CHECKS_LOG)

# Every Debian package make test uses, installed by one apt-get run when any is missing (a
# fresh CI machine; the CI user is root): one `apt-get update` instead of one per rule. Each
# rule below still checks its own tools, for when it runs alone. command:package pairs.
SF_APT_NEEDS := redis-server:redis-server redis-cli:redis-tools openssl:openssl nginx:nginx-light \
	pkg-config:pkg-config valgrind:valgrind cmake:cmake doxygen:doxygen \
	abi-compliance-checker:abi-compliance-checker
system-packages:
	@missing=""; for pair in $(SF_APT_NEEDS); do cmd=$${pair%%:*}; \
		command -v $$cmd >/dev/null 2>&1 || [ -x /usr/sbin/$$cmd ] || missing="$$missing $${pair#*:}"; done; \
	pkg-config --exists libcjson 2>/dev/null || missing="$$missing libcjson-dev"; \
	$(PYTHON) -c "import venv, ensurepip" 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then echo "installing with apt-get:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

# The pacing tests on Redis start redis-server themselves; CI machines start without it
# (the CI user is root).
# The Redis tests also run Sentinel (`redis-server --sentinel`, the binary the
# redis-sentinel package links to), a cluster (`redis-cli --cluster create`, redis-tools)
# and TLS with certificates they make with openssl.
redis-available:
	@command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || { \
		echo "redis-server is missing: installing the redis-server package with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools; }
	@command -v openssl >/dev/null 2>&1 || { \
		echo "openssl is missing: installing the openssl package with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl; }

# The fleet-learning tests and benchmarks also run against nginx `limit_req` (a token
# bucket with a burst no one here wrote); nginx-light from apt when missing.
nginx-available:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
		echo "nginx is missing: installing the nginx-light package with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; }

test-rust: redis-available nginx-available
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

# clippy and rustdoc in a target directory of their own (SF_CHECK_TARGET; make doc writes
# target/check/doc): in make test they run beside the Rust tests and must not hold
# target/debug's lock, and their check-mode artefacts share nothing with the test build's,
# only with each other's.
SF_CHECK_TARGET = $(or $(CARGO_TARGET_DIR),target)/check
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --target-dir $(SF_CHECK_TARGET) -- -D warnings

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --target-dir $(SF_CHECK_TARGET)

emulator:
	$(CARGO) run --quiet -p surefoot-cli -- emulator --api pyai --port 0

clean:
	$(CARGO) clean
