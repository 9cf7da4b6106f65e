#!/usr/bin/env bash
# Builds Release and runs the benchmarks (bench/<name>_bench.cpp).
#   scripts/bench.sh [--quick] [NAME...]
# Prints a markdown table and merges the figures into build/bench/results.json (one flat object).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quick=()
names=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=(--quick) ;;
    -h|--help) sed -n '2,4p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) names+=("$arg") ;;
  esac
done

# shellcheck source=scripts/lib/deps.sh
source "$root/scripts/lib/deps.sh"
ensure_packages "${CALLSIGNAL_BUILD_PACKAGES[@]}" jq

build="$root/build-bench"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCALLSIGNAL_BUILD_TESTS=OFF \
  -DCALLSIGNAL_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

if [ ${#names[@]} -eq 0 ]; then
  for f in "$root"/bench/*_bench.cpp; do [ -e "$f" ] && names+=("$(basename "$f" _bench.cpp)"); done
fi

out="$root/build/bench"
mkdir -p "$out"
results="$out/results.json"
[ -s "$results" ] || echo '{}' >"$results"
lines=$(mktemp)
trap 'rm -f "$lines"' EXIT
for name in "${names[@]}"; do
  echo "## $name"
  "$build/bench/callsignal_bench_$name" "${quick[@]}" | tee /dev/stderr | awk '$1 == "RESULT" {print $2, $3}' >>"$lines"
done 2>&1 | grep -v '^RESULT '

echo
echo "| key | value |"
echo "| --- | --- |"
while read -r key value; do
  echo "| $key | $value |"
  jq --arg k "$key" --argjson v "$value" '.[$k] = $v' "$results" >"$results.tmp" && mv "$results.tmp" "$results"
done <"$lines"
echo
echo "written: $results"
