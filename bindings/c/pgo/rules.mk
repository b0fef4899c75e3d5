# Profile-guided optimisation of the release C library (included by bindings/c/rules.mk).
# `make install` (release) builds libsurefoot this way unless SF_C_PGO=0:
#
#   1. an instrumented build (rustc -Cprofile-generate) into $(SF_C_PGO_DIR)/gen;
#   2. the training run: bindings/c/pgo/train.c, linked to that build, uses the library as
#      applications do against the emulators on loopback (tests/c/run.sh starts them);
#   3. llvm-profdata (bindings/c/pgo/profdata.sh finds or adds one that matches rustc's
#      LLVM) merges what it counted;
#   4. the optimised build (rustc -Cprofile-use) into $(SF_C_PGO_DIR)/use, which
#      `make install` copies.
#
# The code is the same; the compiler lays out the hot paths together and inlines along
# them. Measured on a C GET (bench/RESULTS.md, section 2): instructions 37.8k -> 30.2k,
# level-1 instruction-cache misses 2,171 -> 1,370 per call (callgrind), CPU per call about
# a third less. Each build takes
# about as long as a plain release build; the training run about 10 s.
#
#   make c-lib-pgo                     the optimised library alone
#   make install SF_C_PGO=0 PREFIX=..  a plain release build instead
#
# SF_C_PGO_EMULATOR names an emulator binary to train against; empty (the default), a
# debug emulator is built into $(SF_C_PGO_DIR)/emulator first (make test passes its own).

SF_C_PGO ?= 1
ifneq ($(filter-out 0 1,$(SF_C_PGO)),)
$(error SF_C_PGO is 1 (the profile-guided release build, the default) or 0 (a plain one), not '$(SF_C_PGO)')
endif
SF_C_PGO_DIR := $(SF_C_TARGET)/pgo
SF_C_PGO_EMULATOR ?=
SF_C_PGO_EMU := $(or $(SF_C_PGO_EMULATOR),$(SF_C_PGO_DIR)/emulator/debug/surefoot-emulator)
SF_C_PGO_PROFILE := $(SF_C_PGO_DIR)/surefoot.profdata
SF_C_PGO_LIBDIR := $(SF_C_PGO_DIR)/use/release

.PHONY: c-lib-pgo

c-lib-pgo: c-tools-available
	@tool=$$(bash bindings/c/pgo/profdata.sh) && echo "c-lib-pgo: llvm-profdata $$tool"
	RUSTFLAGS="$(RUSTFLAGS) -Cprofile-generate=$(SF_C_PGO_DIR)/raw" CARGO_TARGET_DIR=$(SF_C_PGO_DIR)/gen \
		$(CARGO) build --release -p surefoot-c
	$(if $(SF_C_PGO_EMULATOR),,CARGO_TARGET_DIR=$(SF_C_PGO_DIR)/emulator $(CARGO) build -p surefoot-emulator)
	@# The static library carries LLVM's profiler runtime; -u pulls in the part that writes
	@# the counts at exit, which nothing in the program names.
	$(CC) -std=c99 $(SF_C_WARN) -O2 -Iinclude bindings/c/pgo/train.c -o $(SF_C_PGO_DIR)/train \
		-Wl,-u,__llvm_profile_runtime $(SF_C_PGO_DIR)/gen/release/libsurefoot.a $(SF_C_PRIVATE_LIBS)
	rm -rf $(SF_C_PGO_DIR)/raw
	LLVM_PROFILE_FILE=$(SF_C_PGO_DIR)/raw/train-%p.profraw \
		bash tests/c/run.sh $(SF_C_PGO_EMU) $(SF_C_PGO_DIR)/train
	"$$(bash bindings/c/pgo/profdata.sh)" merge -o $(SF_C_PGO_PROFILE) $(SF_C_PGO_DIR)/raw
	RUSTFLAGS="$(RUSTFLAGS) -Cprofile-use=$(SF_C_PGO_PROFILE)" CARGO_TARGET_DIR=$(SF_C_PGO_DIR)/use \
		$(CARGO) build --release -p surefoot-c
