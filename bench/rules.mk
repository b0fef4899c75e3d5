# Benchmarks side by side with the peers users would pick instead (bench/README.md).
# Included by the root Makefile; never part of `make test`.
#
#   make bench          build everything in release mode, run the five benchmarks
#                       (~12 minutes on 2 cores), write bench/results.json,
#                       bench/RESULTS.md and bench/plots/*.png
#   make bench-quick    the same with small counts, into bench/out/ (development)
#   make bench-report   RESULTS.md and the plots again from bench/results.json
#
# Everything lands under bench/ (gitignored): a venv with the Python peers from PyPI
# (requests, urllib3, httpx, tenacity, aiohttp, matplotlib, maturin) and the surefoot
# wheel built by maturin --release; a cargo target dir of its own (bench/target), so the
# release builds never touch the debug artefacts of `make test`. libcurl's headers and
# python3-venv are installed with apt when missing.

CARGO ?= cargo
BENCH_PYTHON ?= python3
BENCH_VENV   := bench/.venv
BENCH_PY     := $(BENCH_VENV)/bin/python
BENCH_TARGET := $(CURDIR)/bench/target
BENCH_PEERS  := "maturin>=1.9.4,<2" requests urllib3 httpx tenacity aiohttp matplotlib
BENCH_CC     ?= cc

.PHONY: bench bench-quick bench-report bench-build bench-many bench-many-build chaos-kill

bench: bench-build bench-many-build chaos-kill
	$(BENCH_PY) bench/run.py
	$(BENCH_PY) bench/many.py
	$(BENCH_PY) bench/report.py

# "Many processes, one key" alone (bench/many.py): surefoot in-process vs surefoot on
# Redis vs `limits` and PyrateLimiter on Redis, with a redis-server of its own.
bench-many: bench-many-build
	$(BENCH_PY) bench/many.py
	$(BENCH_PY) bench/report.py

# The Redis peers from PyPI, redis-server from apt, the release emulator and wheel.
BENCH_MANY_PEERS := "maturin>=1.9.4,<2" requests redis "limits[redis]" pyrate-limiter matplotlib

bench-many-build: redis-available
	@$(BENCH_PYTHON) -c "import venv, ensurepip" 2>/dev/null || { \
		echo "$(BENCH_PYTHON) cannot create venvs: installing python3-venv with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null; }
	test -x $(BENCH_PY) || $(BENCH_PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --disable-pip-version-check $(BENCH_MANY_PEERS)
	CARGO_TARGET_DIR=$(BENCH_TARGET) $(CARGO) build --quiet --release -p surefoot-emulator
	rm -rf $(BENCH_TARGET)/wheels
	CARGO_TARGET_DIR=$(BENCH_TARGET) $(BENCH_VENV)/bin/maturin build --quiet --release --strip \
		--interpreter $(BENCH_PY) --out $(BENCH_TARGET)/wheels
	$(BENCH_PY) -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
		$(BENCH_TARGET)/wheels/surefoot-*.whl

bench-quick: bench-build
	$(BENCH_PY) bench/run.py --quick
	$(BENCH_PY) bench/report.py bench/out/results.json bench/out/RESULTS.md bench/out/plots

bench-report:
	$(BENCH_PY) bench/report.py

bench-build:
	@$(BENCH_PYTHON) -c "import venv, ensurepip" 2>/dev/null || { \
		echo "$(BENCH_PYTHON) cannot create venvs: installing python3-venv with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null; }
	@command -v curl-config >/dev/null 2>&1 && command -v $(BENCH_CC) >/dev/null 2>&1 || { \
		echo "libcurl headers or a C compiler are missing: installing them with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			libcurl4-openssl-dev gcc >/dev/null; }
	test -x $(BENCH_PY) || $(BENCH_PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --disable-pip-version-check $(BENCH_PEERS)
	CARGO_TARGET_DIR=$(BENCH_TARGET) $(CARGO) build --quiet --release \
		-p surefoot-emulator -p surefoot-c
	CARGO_TARGET_DIR=$(BENCH_TARGET) $(CARGO) build --quiet --release \
		--manifest-path bench/rust/Cargo.toml
	rm -rf $(BENCH_TARGET)/wheels
	CARGO_TARGET_DIR=$(BENCH_TARGET) $(BENCH_VENV)/bin/maturin build --quiet --release --strip \
		--interpreter $(BENCH_PY) --out $(BENCH_TARGET)/wheels
	$(BENCH_PY) -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
		$(BENCH_TARGET)/wheels/surefoot-*.whl
	$(BENCH_CC) -O2 -std=c11 -Wall -Wextra -Werror -Iinclude bench/c/bench_c.c \
		-o $(BENCH_TARGET)/bench_c $(BENCH_TARGET)/release/libsurefoot.a \
		$$(curl-config --libs) -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

# Killed at any moment, full size (bench/chaos_kill.sh): `surefoot pyai submit` of 2,000
# lines and `surefoot specala export` of 2,000 documents, each SIGKILLed at 20 random
# points and re-run; the invariants are asserted, the measurements land in
# bench/out/chaos-kill.jsonl. `make test` runs the same tests at 200 and 4.
chaos-kill:
	CARGO="$(CARGO)" BENCH_TARGET="$(BENCH_TARGET)" bench/chaos_kill.sh
