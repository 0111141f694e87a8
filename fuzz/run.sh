#!/usr/bin/env bash
# Runs fuzz targets for a bounded time each, one after another, on one core:
#   fuzz/run.sh SECONDS [TARGET...]      (default: every target)
# Seeds come from fuzz/seed.sh; what a run learns stays in fuzz/corpus/<target>,
# a crashing input in fuzz/artifacts/<target>/. Stops at the first finding.
#
# The toolchain is stable: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z flags
# (sanitizer coverage, AddressSanitizer) to the stable compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
((${#targets[@]})) || targets=(matcher normalise diff config snap)
export RUSTC_BOOTSTRAP=1
# FUZZ_TARGET_DIR: build there instead of fuzz/target (CI keeps its build).
dir=()
[[ -n ${FUZZ_TARGET_DIR:-} ]] && dir=(--target-dir "$FUZZ_TARGET_DIR")
# FUZZ_PROFILE: -O (optimised, the default, for long runs) or --dev (builds in
# 3.5 min instead of 8 on a new 2-core machine; what CI's 20 s runs use).
profile=${FUZZ_PROFILE:--O}
fuzz/seed.sh >/dev/null
cargo fuzz build "$profile" "${dir[@]}"
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  printf '\n--- fuzz %s for %ss\n' "$t" "$seconds"
  cargo fuzz run "$profile" "${dir[@]}" "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$seconds" -dict="fuzz/dict/$t.dict" -print_final_stats=1
done
