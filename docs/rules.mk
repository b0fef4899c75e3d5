# The documentation site: included by the root Makefile.
#
#   make docs         build the site into target/docs (Python's standard library only)
#   make docs-test    build it and check every internal link and section (part of make test)
#   make docs-check   also load every page in headless Chromium: no console error, every
#                     expected section rendered; one screenshot of the index page
#
# The Rust reference is rustdoc: `make doc` writes target/doc, which the site links into.

DOCS_PYTHON ?= python3
DOCS_OUT    ?= target/docs

EXTRA_TESTS += docs-test
.PHONY: docs docs-test docs-check docs-chromium-available

docs:
	$(DOCS_PYTHON) docs/build.py --out $(DOCS_OUT)

docs-test: docs
	$(DOCS_PYTHON) docs/linkcheck.py $(DOCS_OUT)

# Debian's chromium, installed with apt when missing (CI machines run as root).
docs-chromium-available:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "chromium is missing: installing the chromium package with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

docs-check: docs-test docs-chromium-available
	$(DOCS_PYTHON) docs/browser_check.py $(DOCS_OUT)
