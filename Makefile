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

# Each binding adds its own rules and appends its test target to EXTRA_TESTS.
EXTRA_TESTS :=
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

test: system-packages lint test-rust doc $(EXTRA_TESTS)

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

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps

emulator:
	$(CARGO) run --quiet -p surefoot-cli -- emulator --api pyai --port 0

clean:
	$(CARGO) clean
