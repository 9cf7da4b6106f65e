#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (ASan+UBSan) and runs one.
#   scripts/fuzz.sh NAME SECONDS    e.g. scripts/fuzz.sh envelope 60
#   scripts/fuzz.sh --list          the targets (tests/fuzz/<name>_fuzz.cpp)
# The corpus grows in build-fuzz/corpus/NAME, seeded from tests/fuzz/corpus/NAME when present;
# a crash leaves its input in build-fuzz/crashes/NAME and the script fails.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ "${1:-}" = "--list" ]; then
  for f in "$root"/tests/fuzz/*_fuzz.cpp; do [ -e "$f" ] && basename "$f" _fuzz.cpp; done
  exit 0
fi
[ $# -eq 2 ] || { sed -n '2,6p' "${BASH_SOURCE[0]}"; exit 2; }
name=$1
seconds=$2

# shellcheck source=scripts/lib/deps.sh
source "$root/scripts/lib/deps.sh"
ensure_packages "${CALLSIGNAL_BUILD_PACKAGES[@]}" clang-14 libclang-rt-14-dev

build="$root/build-fuzz"
CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCALLSIGNAL_SANITIZE=address -DCALLSIGNAL_BUILD_TESTS=OFF -DCALLSIGNAL_BUILD_FUZZERS=ON >/dev/null
cmake --build "$build" --target "callsignal_fuzz_$name" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

corpus="$build/corpus/$name"
crashes="$build/crashes/$name"
mkdir -p "$corpus" "$crashes"
seeds=()
[ -d "$root/tests/fuzz/corpus/$name" ] && seeds+=("$root/tests/fuzz/corpus/$name")
echo "fuzz $name for ${seconds}s"
"$build/tests/fuzz/callsignal_fuzz_$name" -max_total_time="$seconds" -print_final_stats=1 \
  -artifact_prefix="$crashes/" "$corpus" "${seeds[@]}" 2>"$build/fuzz-$name.log" || {
  tail -50 "$build/fuzz-$name.log"
  echo "fuzz $name: FAILED (inputs in $crashes)"
  exit 1
}
grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$build/fuzz-$name.log" | sed "s/^/fuzz $name: /"
