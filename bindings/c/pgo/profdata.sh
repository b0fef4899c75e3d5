#!/usr/bin/env bash
# Prints the path of an llvm-profdata that speaks the profile format of the rustc cargo
# uses (the same LLVM major version), for the C library's profile-guided build
# (bindings/c/pgo/rules.mk). In order: $LLVM_PROFDATA; rustup's llvm-tools component of
# the active toolchain (added with `rustup component add llvm-tools` when missing, as
# .ci/run adds rustfmt and clippy); llvm-profdata-MAJOR or /usr/lib/llvm-MAJOR (a
# distribution's LLVM of the same major). Fails, saying what to do, when none is found.
set -euo pipefail

rustc=${RUSTC:-rustc}
info=$("$rustc" -vV)
major=$(sed -n 's/^LLVM version: \([0-9]*\).*/\1/p' <<<"$info")
host=$(sed -n 's/^host: //p' <<<"$info")
tool="$("$rustc" --print sysroot)/lib/rustlib/$host/bin/llvm-profdata"

if [ -n "${LLVM_PROFDATA:-}" ]; then
    echo "$LLVM_PROFDATA"
    exit 0
fi
if [ ! -x "$tool" ] && command -v rustup >/dev/null 2>&1; then
    echo "profdata.sh: adding rustup's llvm-tools component (llvm-profdata)" >&2
    rustup component add llvm-tools >&2 || true
fi
if [ -x "$tool" ]; then
    echo "$tool"
    exit 0
fi
for candidate in "llvm-profdata-$major" "/usr/lib/llvm-$major/bin/llvm-profdata"; do
    if command -v "$candidate" >/dev/null 2>&1; then
        command -v "$candidate"
        exit 0
    fi
done
cat >&2 <<MSG
error: no llvm-profdata for LLVM $major (the LLVM of $("$rustc" -V)).
       The release C library is built with profile-guided optimisation and needs one:
       'rustup component add llvm-tools', or a distribution's llvm-$major, or
       LLVM_PROFDATA=/path/to/llvm-profdata; or build without it: make install SF_C_PGO=0
MSG
exit 1
