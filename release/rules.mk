# Shipping: the wheel and sdist, the crate package, and the compatibility checks of the
# Rust API and the C ABI (release/README.md). Included by the root Makefile.
#
#   make wheel          the manylinux2014 abi3 wheel (release, maturin --zig with its
#                       manylinux check) and the sdist into target/wheels; then installs
#                       the wheel into a fresh venv without cargo/rustc on PATH and runs
#                       tests/wheel/smoke.py, and builds the sdist with pip (Rust present)
#   make wheel-smoke    the smoke test on the newest wheel in $(SF_SMOKE_WHEELS) (part of
#                       make test, on the dev wheel of python-env: wheel-smoke-dev)
#   make package        cargo package -p surefoot, the packaged crate documented (part of make test)
#   make compat         the public Rust API against release/rust-api.txt, and the C ABI
#                       against release/abi (part of make test)
#   make compat-semver  cargo-semver-checks against release/rust-baseline (not in make test)
#   make compat-baseline  record the current API and ABI as the baseline (at a release)

SF_WHEELS      ?= target/wheels
SF_WHEEL_VENV  ?= target/wheel-venv
SF_SMOKE_VENV  ?= target/wheel-smoke-venv
SF_SDIST_VENV  ?= target/sdist-venv
SF_SMOKE_WHEELS ?= $(SF_WHEELS)
SF_WHEEL_STAMP := $(SF_WHEEL_VENV)/.installed-$(shell cksum < release/requirements-wheel.txt | cut -d' ' -f1)
# PATH without any directory holding cargo or rustc (rustup's ~/.cargo/bin, /usr/bin, ...).
SF_PATH_NO_RUST = $$(echo "$$PATH" | tr ':' '\n' | while read -r d; do \
	[ -n "$$d" ] && [ ! -e "$$d/cargo" ] && [ ! -e "$$d/rustc" ] && printf '%s:' "$$d"; done)

SF_TEST_CHECKS += package compat-rust
SF_TEST_LATE_CHECKS += wheel-smoke-test compat-abi
.PHONY: wheel wheel-build wheel-smoke wheel-smoke-dev wheel-smoke-test wheel-sdist-check package compat \
	compat-rust compat-abi compat-abi-tools compat-baseline

$(SF_WHEEL_STAMP): release/requirements-wheel.txt
	rm -rf $(SF_WHEEL_VENV)
	$(PYTHON) -m venv $(SF_WHEEL_VENV)
	$(SF_WHEEL_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		-r release/requirements-wheel.txt
	touch $@

wheel-build: $(SF_WHEEL_STAMP)
	rm -rf $(SF_WHEELS)
	PATH=$(CURDIR)/$(SF_WHEEL_VENV)/bin:$$PATH $(SF_WHEEL_VENV)/bin/maturin build --release \
		--zig --compatibility manylinux2014 --out $(SF_WHEELS)
	$(SF_WHEEL_VENV)/bin/maturin sdist --out $(SF_WHEELS)
	@ls -l $(SF_WHEELS)

# A fresh venv, cargo and rustc off PATH, the wheel installed from the file alone.
wheel-smoke:
	rm -rf $(SF_SMOKE_VENV)
	$(PYTHON) -m venv $(SF_SMOKE_VENV)
	whl=$$(ls -t $(SF_SMOKE_WHEELS)/surefoot-*.whl | head -n 1); \
	PATH="$(SF_PATH_NO_RUST)" $(SF_SMOKE_VENV)/bin/python -m pip install --quiet \
		--disable-pip-version-check --no-index "$$whl" && \
	cd $(SF_SMOKE_VENV) && env -i PATH="$(SF_PATH_NO_RUST)" HOME="$$HOME" \
		bin/python $(CURDIR)/tests/wheel/smoke.py

# The same on the dev wheel python-env builds (the release manylinux build takes minutes:
# make wheel). make test runs wheel-smoke-test, on the wheel its first step built.
wheel-smoke-dev: python-env
	$(MAKE) --no-print-directory wheel-smoke-test

wheel-smoke-test:
	$(MAKE) --no-print-directory wheel-smoke SF_SMOKE_WHEELS=$(PY_WHEELS)

# The sdist builds with pip where Rust is present (a dev profile build, sharing target/).
wheel-sdist-check:
	rm -rf $(SF_SDIST_VENV)
	$(PYTHON) -m venv $(SF_SDIST_VENV)
	CARGO_TARGET_DIR=$(CURDIR)/target MATURIN_PEP517_ARGS="--profile dev" \
		$(SF_SDIST_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		$$(ls $(SF_WHEELS)/surefoot-*.tar.gz)
	cd $(SF_SDIST_VENV) && bin/python -c "import surefoot, surefoot.testing; print('sdist built and imported: surefoot', surefoot.__version__)"

wheel: wheel-build
	$(MAKE) --no-print-directory wheel-smoke
	$(MAKE) --no-print-directory wheel-sdist-check

# The crate as crates.io would get it: packaged (metadata, README, the include list), then
# unpacked outside the workspace and documented by rustdoc, which reads every module and
# expands every macro of the package (a file missing from the include list fails it), and
# whose JSON gives its public API (compat-rust compares it; its doc warnings are `make
# doc`'s to report). The same sources compile in the workspace, so a separate `cargo
# check` of the package adds nothing but its time.
SF_PKG_CHECK = $${TMPDIR:-/tmp}/surefoot-package-check
SF_PKG_MANIFEST = $(SF_PKG_CHECK)/surefoot-$(SF_C_VERSION)/Cargo.toml

package:
	$(CARGO) package -p surefoot --locked --no-verify --quiet
	rm -rf $(SF_PKG_CHECK) && mkdir -p $(SF_PKG_CHECK)
	tar -xzf $(SF_C_TARGET)/package/surefoot-$(SF_C_VERSION).crate -C $(SF_PKG_CHECK)
	RUSTC_BOOTSTRAP=1 $(CARGO) rustdoc --quiet --locked --manifest-path $(SF_PKG_MANIFEST) --lib \
		--target-dir $(SF_API_TARGET) -- --cap-lints allow -Z unstable-options --output-format json
	@echo "surefoot-$(SF_C_VERSION).crate: packaged, documented outside the workspace, its API in $(SF_API_JSON)"

# --- The C ABI -------------------------------------------------------------------------
# abi-compliance-checker (Debian's package) reads include/surefoot.h with GCC and the
# library's exported symbols, and compares them with the baseline dump of the last release
# (release/abi/surefoot.abi.xml): a removed or changed function, type or enum value is an
# incompatibility, allowed only when the soname changed with it (0.MINOR before 1.0, MAJOR
# after: the rule bindings/c/build.rs applies). The built library's soname is checked too.
SF_ABI_BASELINE := release/abi/surefoot.abi.xml
SF_ABI_OUT      := $(SF_C_TARGET)/compat-abi
SF_ABI_LIB      := $(SF_C_TARGET)/debug/libsurefoot.so
# The soname ABI of a version: 0.MINOR before 1.0, MAJOR after.
sf_abi_of = $$(echo "$(1)" | awk -F. '{ print ($$1 == 0) ? "0." $$2 : $$1 }')

compat-abi-tools:
	$(call sf_c_need,abi-compliance-checker,abi-compliance-checker)

# The current header and library as an ABI dump (XML).
$(SF_ABI_OUT)/current.abi.xml: compat-abi-tools
	$(SF_DEBUG_BUILD)
	@mkdir -p $(SF_ABI_OUT)
	printf '<version>%s</version>\n<headers>%s</headers>\n<libs>%s</libs>\n' \
		"$(SF_C_VERSION)" "$(CURDIR)/$(SF_C_HEADER)" "$(SF_ABI_LIB)" > $(SF_ABI_OUT)/current.xml
	abi-compliance-checker -quiet -l surefoot -dump $(SF_ABI_OUT)/current.xml \
		-dump-path $@ -xml -log-path $(SF_ABI_OUT)/dump.log

compat-abi: $(SF_ABI_OUT)/current.abi.xml
	@soname=$$(readelf -d $(SF_ABI_LIB) | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p'); \
	want=libsurefoot.so.$(call sf_abi_of,$(SF_C_VERSION)); \
	if [ "$$soname" != "$$want" ]; then \
		echo "error: the library's soname is $$soname; the rule for version $(SF_C_VERSION) gives $$want" >&2; exit 1; fi; \
	base=$$(sed -n 's|.*<library_version>\(.*\)</library_version>.*|\1|p' $(SF_ABI_BASELINE)); \
	abi-compliance-checker -quiet -l surefoot -old $(SF_ABI_BASELINE) -new $< \
		-report-path $(SF_ABI_OUT)/report.html -log-path $(SF_ABI_OUT)/compare.log; rc=$$?; \
	if [ $$rc -eq 0 ]; then \
		echo "C ABI: compatible with $$base (soname $$soname); report $(SF_ABI_OUT)/report.html"; \
	elif [ $$rc -eq 1 ] && [ "libsurefoot.so.$(call sf_abi_of,$$base)" != "$$soname" ]; then \
		echo "C ABI: incompatible with $$base, and the soname moved to $$soname as the rule asks"; \
	elif [ $$rc -eq 1 ]; then \
		echo "error: the C ABI breaks compatibility with $$base but the soname is still $$soname:" >&2; \
		echo "       see $(SF_ABI_OUT)/report.html; keep the ABI, or bump the version's minor" >&2; \
		echo "       (major after 1.0) in Cargo.toml and say so in CHANGELOG.md" >&2; exit 1; \
	else echo "error: abi-compliance-checker failed ($$rc): $(SF_ABI_OUT)/compare.log" >&2; exit 1; fi

# At a release: the current API and ABI become the baseline (commit release/).
compat-baseline: $(SF_ABI_OUT)/current.abi.xml package
	@mkdir -p $(dir $(SF_ABI_BASELINE))
	sed -e 's|$(CURDIR)/||g' $< > $(SF_ABI_BASELINE)
	{ echo "# surefoot $(SF_C_VERSION): the public Rust API (release/public_api.py list)"; \
		python3 release/public_api.py list $(SF_API_JSON); } > $(SF_API_BASELINE)
	git rev-parse HEAD > release/rust-baseline
	@echo "baselines recorded: $(SF_ABI_BASELINE), $(SF_API_BASELINE), release/rust-baseline ($$(cat release/rust-baseline))"

# --- The Rust API ----------------------------------------------------------------------
# make test: release/public_api.py reads rustdoc's JSON of `surefoot` (stable rustdoc, its
# JSON output enabled with RUSTC_BOOTSTRAP=1) into one line per public item and compares it
# with the last release's (release/rust-api.txt): a removed or changed item fails unless the
# version moved as semver asks. `make compat-semver` runs cargo-semver-checks (crates.io,
# pinned) against the last release's revision (release/rust-baseline): many more lints, but
# building it takes longer than make test can spend (release/README.md).
# A target directory of its own (rustdoc's JSON needs RUSTC_BOOTSTRAP=1; builds with and
# without it would keep invalidating each other's dependencies in target/).
SF_API_TARGET := $(SF_C_TARGET)/api-json
SF_API_JSON := $(SF_API_TARGET)/doc/surefoot.json
SF_API_BASELINE := release/rust-api.txt
SF_SEMVER_VERSION := 0.51.0
SF_SEMVER := $(SF_C_TARGET)/tools/cargo-semver-checks-$(SF_SEMVER_VERSION)/bin/cargo-semver-checks

compat-rust: package
	python3 release/public_api.py check $(SF_API_JSON) $(SF_API_BASELINE) $(SF_C_VERSION)

$(SF_SEMVER):
	$(CARGO) install cargo-semver-checks --version $(SF_SEMVER_VERSION) --locked \
		--no-default-features --root $(SF_C_TARGET)/tools/cargo-semver-checks-$(SF_SEMVER_VERSION)

compat-semver: $(SF_SEMVER)
	@git cat-file -e "$$(cat release/rust-baseline)^{commit}" 2>/dev/null || { \
		echo "error: the baseline revision $$(cat release/rust-baseline) is not in this clone's history" >&2; exit 1; }
	$(SF_SEMVER) semver-checks check-release -p surefoot --baseline-rev "$$(cat release/rust-baseline)"

compat: compat-rust compat-abi

.PHONY: FORCE compat-semver
FORCE:
