# Fuzzing (included by the root Makefile; never part of `make test`, which replays the
# committed corpus on stable instead: crates/surefoot/tests/fuzz_corpus.rs).
#
#   make fuzz                   every target for FUZZ_SECONDS (default 60 s each)
#   make fuzz FUZZ_SECONDS=600  longer
#   make fuzz FUZZ_TARGETS=error_body
#
# Needs nightly and cargo-fuzz: both are installed here when missing (rustup, crates.io).
# New inputs that reach new code are added to fuzz/corpus/<target>/ (commit them); a crash
# stops the run and leaves its input in fuzz/artifacts/<target>/ — fix it, then copy the
# input into the corpus so `make test` keeps checking it.

FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= error_body retry_after rate_limit_headers rate_limit_str key_and_url list_page \
	c_strings

.PHONY: fuzz fuzz-tools

fuzz-tools:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked

fuzz: fuzz-tools
	@for t in $(FUZZ_TARGETS); do \
		echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
		$(CARGO) +nightly fuzz run $$t fuzz/corpus/$$t -- \
			-max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 || exit 1; \
	done
