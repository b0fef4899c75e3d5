# The documentation site (Sphinx; docs/README.md): included by the root Makefile.
#
#   make docs         build the site into target/docs, warnings as errors (a broken
#                     reference or link fails); installs its tools into its own venv
#                     (docs/requirements.txt, from PyPI) and Doxygen from apt when missing
#   make docs-test    the same (part of make test)
#   make docs-check   also load every page in headless Chromium: no console error, every
#                     reference entry rendered; one screenshot of the index page
#
# The Rust reference is rustdoc: `make doc` writes target/check/doc.

DOCS_PYTHON ?= python3
DOCS_OUT    ?= target/docs
DOCS_VENV   ?= target/docs-venv
DOCS_STAMP  := $(DOCS_VENV)/.installed-$(shell cksum < docs/requirements.txt | cut -d' ' -f1)

SF_TEST_LATE_CHECKS += docs-test
.PHONY: docs docs-test docs-check docs-chromium-available docs-doxygen-available

$(DOCS_STAMP): docs/requirements.txt
	rm -rf $(DOCS_VENV)
	$(DOCS_PYTHON) -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r docs/requirements.txt
	touch $@

docs-doxygen-available:
	@command -v doxygen >/dev/null 2>&1 || { \
		echo "doxygen is missing: installing the doxygen package with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq doxygen >/dev/null; }

docs: $(DOCS_STAMP) docs-doxygen-available
	rm -rf $(DOCS_OUT)
	SF_DOXYGEN_OUT=$(CURDIR)/target/docs-doxygen $(DOCS_VENV)/bin/sphinx-build -q -W --keep-going -n \
		-b html -d target/docs-doctrees docs $(DOCS_OUT)
	@echo "the site is in $(DOCS_OUT): open $(DOCS_OUT)/index.html"

docs-test: docs

# Debian's chromium, installed with apt when missing (CI machines run as root).
docs-chromium-available:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "chromium is missing: installing the chromium package with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

docs-check: docs docs-chromium-available
	$(DOCS_PYTHON) docs/browser_check.py $(DOCS_OUT)
