#!/usr/bin/env bash
# Builds Release and runs the benchmarks (bench/<name>_bench.cpp).
#   scripts/bench.sh [--quick] [NAME...]     e.g. scripts/bench.sh --quick invite_latency
# Prints a markdown table (each figure beside its target from bench/targets.tsv), merges the
# figures into build/bench/results.json (one flat object) and draws build/bench/latency.png, the
# latency CDF of the SDK path beside the raw Paho path (when invite_latency ran).
# --quick: smaller runs for smoke tests (all of them in under 2 minutes); the full run takes
# under 15. Exits non-zero when a benchmark fails to run; a missed target is reported, not fatal.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quick=()
names=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=(--quick) ;;
    -h|--help) sed -n '2,8p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "unknown option: $arg" >&2; exit 2 ;;
    *) names+=("$arg") ;;
  esac
done

# shellcheck source=scripts/lib/deps.sh
source "$root/scripts/lib/deps.sh"
# Mosquitto for the benchmarks that need a broker, jq for the JSON, gnuplot for the plot and
# binutils' strip for the footprint.
ensure_packages "${CALLSIGNAL_BUILD_PACKAGES[@]}" mosquitto jq gnuplot-nox binutils

started=$SECONDS
build="$root/build-bench"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCALLSIGNAL_BUILD_TESTS=OFF \
  -DCALLSIGNAL_BUILD_EXAMPLES=ON -DCALLSIGNAL_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

# The cheap ones first; then whatever else bench/ holds, in name order.
if [ ${#names[@]} -eq 0 ]; then
  for name in codec filter invite_latency call_setup recovery footprint; do
    [ -e "$root/bench/${name}_bench.cpp" ] && names+=("$name")
  done
  for f in "$root"/bench/*_bench.cpp; do
    name=$(basename "$f" _bench.cpp)
    [[ " ${names[*]} " == *" $name "* ]] || names+=("$name")
  done
fi
for name in "${names[@]}"; do
  [ -x "$build/bench/callsignal_bench_$name" ] || { echo "no benchmark named $name (bench/${name}_bench.cpp)" >&2; exit 2; }
done

out="$root/build/bench"
samples="$out/samples"
mkdir -p "$out"
rm -rf "$samples" && mkdir -p "$samples"
results="$out/results.json"
jq -e 'type == "object"' "$results" >/dev/null 2>&1 || echo '{}' >"$results"
lines=$(mktemp)
trap 'rm -f "$lines"' EXIT

failed=()
for name in "${names[@]}"; do
  args=("${quick[@]}")
  [ "$name" = invite_latency ] && args+=(--samples-dir "$samples")
  echo "## $name"
  bench_started=$SECONDS
  if ! "$build/bench/callsignal_bench_$name" "${args[@]}" >"$lines.$name" 2>&1; then
    failed+=("$name")
  fi
  grep -v '^RESULT ' "$lines.$name" || true
  awk '$1 == "RESULT" {print $2, $3}' "$lines.$name" >>"$lines"
  rm -f "$lines.$name"
  echo "($name: $((SECONDS - bench_started)) s)"
  echo
done

# target KEY: prints "<op> <bound>" from bench/targets.tsv, or nothing.
target() { awk -F'\t' -v k="$1" '$1 == k {print $2, $3}' "$root/bench/targets.tsv"; }

echo "| figure | value | target | |"
echo "| --- | ---: | --- | --- |"
while read -r key value; do
  read -r op bound <<<"$(target "$key")" || true
  verdict=""
  if [ -n "${op:-}" ]; then
    if awk -v v="$value" -v b="$bound" -v op="$op" 'BEGIN { exit !((op == "<=" && v <= b) || (op == ">=" && v >= b)) }'; then
      verdict="met"
    else
      verdict="**missed**"
    fi
  fi
  echo "| $key | $value | ${op:+$op $bound} | $verdict |"
  jq --arg k "$key" --argjson v "$value" '.[$k] = $v' "$results" >"$results.tmp" && mv "$results.tmp" "$results"
  op="" bound=""
done <"$lines"
echo
echo "written: $results"

# The CDF of the invite latency, SDK beside raw Paho (and the signed SDK path), from this run.
if [ -s "$samples/invite_latency_sdk_us.txt" ] && [ -s "$samples/invite_latency_raw_us.txt" ]; then
  curves=()
  for path in sdk signed raw; do
    [ -s "$samples/invite_latency_${path}_us.txt" ] || continue
    sort -n "$samples/invite_latency_${path}_us.txt" |
      awk '{ v[NR] = $1 } END { for (i = 1; i <= NR; i++) print v[i], i / NR }' >"$samples/${path}.cdf"
    case "$path" in
      sdk) title="SDK, unsigned: on_incoming_call" ;;
      signed) title="SDK, Ed25519-signed: on_incoming_call" ;;
      raw) title="raw Paho subscriber: messageArrived" ;;
    esac
    curves+=("\"$samples/${path}.cdf\" using 1:2 with lines lw 2 title \"$title\"")
  done
  plot=$(IFS=,; echo "${curves[*]}")
  gnuplot <<EOF
set terminal pngcairo size 900,560 font "sans,11" noenhanced
set output "$out/latency.png"
set title "Invite latency on loopback: published by the control peer until the callback fires"
set xlabel "latency (µs, log scale)"
set ylabel "fraction of invites"
set logscale x
set grid
set key bottom right
set yrange [0:1]
plot $plot
EOF
  echo "written: $out/latency.png"
fi

echo "bench.sh took $((SECONDS - started)) s${quick:+ (quick)}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED to run: ${failed[*]}" >&2
  exit 1
fi
