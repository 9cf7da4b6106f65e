#!/usr/bin/env bash
# The chaos harness's long mode (tests/chaos/README.md), run by hand.
#   scripts/chaos.sh [--minutes N] [--seed S]     default: 10 minutes, a fresh random seed
# Builds the runner in build-chaos/ (RelWithDebInfo), then runs N minutes of faults (client
# SIGKILLs, broker restarts and crashes, TCP cuts and blackholes, clock skew) while invites and
# control messages flow, and a quiet period until everything settles. Prints the seed, the faults
# by kind and the counts; exits 0 only when nothing was lost and nothing was delivered twice (and
# nothing rang late, and no client process failed). A failing run prints the command that replays
# its seed; CALLSIGNAL_CHAOS_SEED=S works too.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
minutes=10
seed_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) [ $# -ge 2 ] || { echo "--minutes needs a value" >&2; exit 2; }; minutes=$2; shift 2 ;;
    --seed) [ $# -ge 2 ] || { echo "--seed needs a value" >&2; exit 2; }; seed_args=(--seed "$2"); shift 2 ;;
    -h|--help) sed -n '2,9p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$minutes" in
  ''|*[!0-9.]*) echo "--minutes: a positive number, e.g. 3" >&2; exit 2 ;;
esac

# shellcheck source=scripts/lib/deps.sh
source "$root/scripts/lib/deps.sh"
ensure_packages "${CALLSIGNAL_BUILD_PACKAGES[@]}" "${CALLSIGNAL_TEST_PACKAGES[@]}"

build="$root/build-chaos"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCALLSIGNAL_SANITIZE= \
  -DCALLSIGNAL_BUILD_TESTS=ON >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target callsignal_chaos >/dev/null

exec "$build/tests/chaos/callsignal_chaos" --minutes "$minutes" "${seed_args[@]}" \
  --replay-prefix "scripts/chaos.sh --minutes $minutes"
