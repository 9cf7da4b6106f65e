#!/usr/bin/env bash
# The callsignal demo: one call placed, rung, answered and ended through a real local broker.
#   scripts/demo.sh            installs what is missing, builds, runs the call, prints a timeline
#   scripts/demo.sh --keep     keeps the work directory (logs of every process) for a look after
# It starts Mosquitto on a free loopback port, the reference control service (callsignal-control)
# and two CLI clients (callsignal-cli: alice and bob). alice calls bob, bob's client rings, bob
# accepts, both get their RTC join parameters, alice hangs up, both see the call end. Every
# process it started is stopped by PID. Exit status 0 only if the whole call went as expected.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
keep=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    -h|--help) sed -n '2,8p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
done

# shellcheck source=scripts/lib/deps.sh
source "$root/scripts/lib/deps.sh"
ensure_packages "${CALLSIGNAL_BUILD_PACKAGES[@]}" mosquitto openssl jq

build="$root/build"
echo "Building callsignal-control and callsignal-cli in $build ..."
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCALLSIGNAL_BUILD_EXAMPLES=ON >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target callsignal-control callsignal-cli >/dev/null
control="$build/examples/control-service/callsignal-control"
cli="$build/examples/cli/callsignal-cli"

work=$(mktemp -d /tmp/callsignal-demo.XXXXXX)
pids=()
cleanup() {
  local status=$?
  exec 3>&- 4>&- 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$keep" -eq 1 ] || [ "$status" -ne 0 ]; then
    echo "Logs of every process: $work"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_ms=$(date +%s%3N)
elapsed() { echo $(( $(date +%s%3N) - start_ms )); }
say() { printf '[%6d ms] %s\n' "$(elapsed)" "$*"; }
fail() { say "FAILED: $*"; exit 1; }

# wait_for FILE JQ_FILTER WHAT: waits (10 s at most) for a JSON line of FILE matching the filter.
wait_for() {
  local file=$1 filter=$2 what=$3 deadline=$(( $(date +%s%3N) + 10000 ))
  until [ -s "$file" ] && jq -n -e "[inputs | select($filter)] | length > 0" "$file" >/dev/null 2>&1; do
    [ "$(date +%s%3N)" -lt "$deadline" ] || fail "no $what within 10 s"
    sleep 0.02
  done
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- the broker ---------------------------------------------------------------------------
port=""
for _ in $(seq 1 20); do
  candidate=$(( 20000 + RANDOM % 40000 ))
  port_in_use "$candidate" && continue
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n' "$candidate" > "$work/mosquitto.conf"
  mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 &
  broker_pid=$!
  deadline=$(( $(date +%s%3N) + 5000 ))
  until port_in_use "$candidate" || ! kill -0 "$broker_pid" 2>/dev/null || [ "$(date +%s%3N)" -gt "$deadline" ]; do
    sleep 0.02
  done
  if port_in_use "$candidate"; then port=$candidate; pids+=("$broker_pid"); break; fi
  kill "$broker_pid" 2>/dev/null || true  # lost a race for the port: try another
done
[ -n "$port" ] || fail "could not start Mosquitto on a free loopback port"
say "mosquitto listening on 127.0.0.1:$port (pid $broker_pid)"

# --- the control service ------------------------------------------------------------------
"$control" --generate-key "$work/service-key.pem" >/dev/null
cat > "$work/control.json" <<EOF
{
  "broker_uris": ["tcp://127.0.0.1:$port"],
  "uplink_parent": "demo-up",
  "downlink_parent": "demo-down",
  "mqtt_client_id": "callsignal@@@control-demo",
  "service_id": "callsignal-service",
  "signing_key": { "file": "$work/service-key.pem", "kid": "demo-key-1" },
  "rtc": { "vendor": "test", "app_id": "demo-app", "app_key_env": "CALLSIGNAL_DEMO_RTC_KEY" },
  "limits": { "ring_timeout_ms": 20000, "invite_lifetime_ms": 30000, "resend_interval_ms": 1000 },
  "log_level": "info"
}
EOF
export CALLSIGNAL_DEMO_RTC_KEY="demo-rtc-app-key-$RANDOM$RANDOM"
public_key=$("$control" --config "$work/control.json" --print-public-key)
"$control" --config "$work/control.json" 2> "$work/control.log" &
pids+=($!)
say "callsignal-control started (pid $!), signing key demo-key-1"
deadline=$(( $(date +%s%3N) + 10000 ))
until grep -q '"event":"broker_connected"' "$work/control.log" 2>/dev/null; do
  [ "$(date +%s%3N)" -lt "$deadline" ] || fail "the control service did not connect (see $work/control.log)"
  sleep 0.02
done

# --- the two clients ----------------------------------------------------------------------
# Each reads commands from a FIFO kept open by this script (fd 3: alice, fd 4: bob).
mkfifo "$work/alice.in" "$work/bob.in"
common=(--broker "tcp://127.0.0.1:$port" --uplink demo-up --downlink demo-down
        --trusted-key "demo-key-1=$public_key" --json)
"$cli" "${common[@]}" --device alice-laptop --user alice < "$work/alice.in" > "$work/alice.out" 2> "$work/alice.err" &
pids+=($!)
alice_pid=$!
"$cli" "${common[@]}" --device bob-desktop --user bob < "$work/bob.in" > "$work/bob.out" 2> "$work/bob.err" &
pids+=($!)
bob_pid=$!
exec 3> "$work/alice.in" 4> "$work/bob.in"
say "callsignal-cli started: alice (pid $alice_pid), bob (pid $bob_pid)"

# The timeline: every event of both clients, stamped by the client's clock relative to our start.
show() {
  local who=$1 file=$2
  # --pid: tail ends with this script, so no reader outlives the demo.
  tail -n +1 -f --pid=$$ "$file" 2>/dev/null |
    jq --unbuffered -r --arg who "$who" --argjson start "$start_ms" '
      ((.ts - $start) | tostring) as $t
      | "[" + ("      " + $t)[-6:] + " ms] " + ($who + "     ")[:6]
        + ([.event] + [to_entries[] | select(.key | IN("event", "t_ms", "ts") | not)
           | "\(.key)=\(.value | if type == "string" then . else tojson end)"] | join("  "))'
}
show alice "$work/alice.out" &
pids+=($!)
show bob "$work/bob.out" &
pids+=($!)

wait_for "$work/alice.out" '.event == "connection" and .state == "connected"' "connection for alice"
wait_for "$work/bob.out" '.event == "connection" and .state == "connected"' "connection for bob"
# The service learns who is where from each device's hello.
deadline=$(( $(date +%s%3N) + 10000 ))
until [ "$(grep -c '"event":"hello"' "$work/control.log")" -ge 2 ]; do
  [ "$(date +%s%3N)" -lt "$deadline" ] || fail "the service did not hear both devices"
  sleep 0.02
done

say "alice> call bob --video"
echo "call bob --video" >&3
wait_for "$work/bob.out" '.event == "incoming_call" and .caller == "alice"' "ring on bob's client"
wait_for "$work/alice.out" '.event == "join_rtc"' "RTC join parameters for alice"

say "bob> accept"
echo "accept" >&4
wait_for "$work/bob.out" '.event == "join_rtc"' "RTC join parameters for bob"
wait_for "$work/bob.out" '.event == "call_state" and .state == "active"' "active call for bob"
wait_for "$work/alice.out" '.event == "call_state" and .state == "active"' "active call for alice"

say "alice> hangup"
echo "hangup" >&3
wait_for "$work/alice.out" '.event == "call_state" and .state == "ended"' "call end for alice"
wait_for "$work/bob.out" '.event == "call_state" and .state == "ended" and .reason == "remote_hangup"' "call end for bob"

echo "quit" >&3
echo "quit" >&4
for pid in "$alice_pid" "$bob_pid"; do
  deadline=$(( $(date +%s%3N) + 5000 ))
  while kill -0 "$pid" 2>/dev/null; do
    [ "$(date +%s%3N)" -lt "$deadline" ] || fail "a client did not quit"
    sleep 0.02
  done
done
sleep 0.1  # lets the timeline print the last lines already written
say "OK: alice called bob, bob answered, both joined the RTC channel, alice hung up, both saw the end."
