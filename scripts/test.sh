#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test with ctest.
#   scripts/test.sh                      plain build in build/
#   scripts/test.sh --sanitize=address   ASan+UBSan build in build-asan/
#   scripts/test.sh --sanitize=thread    TSan build in build-tsan/
#   scripts/test.sh -L unit              extra arguments go to ctest (here: only unit tests)
# A full plain run also fuzzes every libFuzzer target for CALLSIGNAL_FUZZ_SECONDS (10) each.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sanitize=""
ctest_args=()
for arg in "$@"; do
  case "$arg" in
    --sanitize=address|--sanitize=thread) sanitize=${arg#--sanitize=} ;;
    --sanitize=*) echo "unknown sanitizer: ${arg#--sanitize=} (address or thread)" >&2; exit 2 ;;
    -h|--help) sed -n '2,7p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) ctest_args+=("$arg") ;;
  esac
done

# shellcheck source=scripts/lib/deps.sh
source "$root/scripts/lib/deps.sh"
ensure_packages "${CALLSIGNAL_BUILD_PACKAGES[@]}" "${CALLSIGNAL_TEST_PACKAGES[@]}"

case "$sanitize" in
  address) build="$root/build-asan" ;;
  thread) build="$root/build-tsan" ;;
  *) build="$root/build" ;;
esac
build_type=RelWithDebInfo
[ -n "$sanitize" ] && build_type=Debug
jobs=$(nproc 2>/dev/null || echo 2)

# The plain build also compiles the benchmarks (scripts/bench.sh runs them), so they cannot rot.
bench=OFF
[ -z "$sanitize" ] && bench=ON
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="$build_type" -DCALLSIGNAL_SANITIZE="$sanitize" \
  -DCALLSIGNAL_BUILD_TESTS=ON -DCALLSIGNAL_BUILD_BENCH="$bench" >/dev/null
cmake --build "$build" -j "$jobs"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

cd "$build"
ctest --output-on-failure -j "$jobs" --timeout 300 "${ctest_args[@]}"

# Every libFuzzer target gets a short bounded run (clang-14 build with ASan+UBSan) in the plain
# mode of a full run. CALLSIGNAL_FUZZ_SECONDS=0 skips them; scripts/fuzz.sh runs one for longer.
fuzz_seconds=${CALLSIGNAL_FUZZ_SECONDS:-10}
if [ -z "$sanitize" ] && [ ${#ctest_args[@]} -eq 0 ] && [ "$fuzz_seconds" -gt 0 ]; then
  for target in $(bash "$root/scripts/fuzz.sh" --list); do
    bash "$root/scripts/fuzz.sh" "$target" "$fuzz_seconds"
  done
fi
