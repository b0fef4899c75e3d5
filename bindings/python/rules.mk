# Python binding: build the abi3 wheel with maturin into a fresh venv, then run pytest,
# mypy --strict (examples and tests, through the shipped stubs) and mypy.stubtest.
# Included by the root Makefile.
#
#   make test-python            everything below, from scratch (python-env, python-tests)
#   make test-python PYTHON=python3.9
#
# The extension is built with cargo's dev profile (`maturin build --profile dev --strip`):
# the tests exercise behaviour, not speed. `pip install .` builds the release wheel.
# maturin builds into a target directory of its own (PY_CARGO_TARGET): it selects the
# binding alone, so cargo unifies the dependencies' features differently from the
# workspace's build (tokio, reqwest, syn and what depends on them are compiled again
# anyway), and in target/debug the two builds would keep rebuilding pyo3 for each other
# (maturin sets the interpreter's variables) and wait on each other's lock.

PYTHON       ?= python3
PY_VENV      ?= .venv-python
PY_WHEELS    ?= target/python-wheels
PY_CARGO_TARGET ?= $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)/python-dev
# hypothesis: the fuzzed parsing boundary (tests/python/test_fuzz_boundary.py); gunicorn:
# a client used before fork under `gunicorn --preload` (tests/python/test_fork.py); openai,
# anthropic, httpx, requests (pinned): surefoot under the SDKs (tests/python/test_sdk_transports.py).
PY_TOOLS     ?= "maturin>=1.9.4,<2" "pytest>=7" "pytest-timeout>=2" "mypy>=1.10" "hypothesis>=6" \
	"gunicorn>=21" "openai==3.60.0" "anthropic==2.16.0" "httpx==0.29.0" \
	"requests==2.34.2" "types-requests==2.33.0.20261030"

# pyo3 builds the binding as an extension module (no libpython linked, so
# `cargo build/test/clippy --workspace` work with any Python, even without libpython).
# maturin sets the same variable, so cargo and maturin builds share pyo3's configuration.
export PYO3_BUILD_EXTENSION_MODULE := 1

# make test builds the venv and the wheel before its test runs start (python-env) and runs
# python-tests in its lane of test runs (the root Makefile's `test` says why).
SF_TEST_ENV += python-env
SF_TEST_RUNS += python-tests
.PHONY: test-python python-env python-tests

test-python:
	$(MAKE) --no-print-directory python-env
	$(MAKE) --no-print-directory python-tests

# A fresh venv with the tools, the dev wheel built and installed into it.
python-env:
	rm -rf $(PY_VENV) $(PY_WHEELS)
	@$(PYTHON) -c "import venv, ensurepip" 2>/dev/null || { \
		echo "$(PYTHON) cannot create venvs: installing python3 and python3-venv with apt-get"; \
		apt-get update -qq && apt-get install -y -qq python3 python3-venv >/dev/null; }
	$(PYTHON) -m venv $(PY_VENV)
	$(PY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check $(PY_TOOLS)
	CARGO_TARGET_DIR=$(PY_CARGO_TARGET) $(PY_VENV)/bin/maturin build --quiet --profile dev --strip \
		--interpreter $(PY_VENV)/bin/python --out $(PY_WHEELS)
	$(PY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-index \
		$(PY_WHEELS)/surefoot-*.whl

# pytest, mypy --strict and stubtest in the venv python-env made.
python-tests:
	@test -x $(PY_VENV)/bin/python || { echo "error: no $(PY_VENV): run make python-env first" >&2; exit 1; }
	$(PY_VENV)/bin/python -m pytest -p no:cacheprovider tests/python
	$(PY_VENV)/bin/python -m mypy --strict --no-incremental examples/python tests/python
	cd $(PY_VENV) && bin/python -m mypy.stubtest surefoot
