#!/usr/bin/env bash
# Benchmark: what MQTT over WebSocket costs a fleet's client next to plain TCP (issue 13), per connection and
# per message, CPU and memory. Benchmarks' `transport-cost` drives DEVICES devices through the product's
# MQTTClient on one event loop against the lab broker (`fleet broker`, its own process with its own
# `ulimit -n 20000`, restarted for each transport so both start alike), so the CPU measured is the client's:
#   connect    DEVICES connects, CONCURRENT at a time (no listen-backlog overflow), over 127.0.0.2–20:
#              CPU per connection (getrusage), wall time to all connected, CONNACK p50/p99
#   idle       SETTLE s after the last CONNACK: VmRSS and malloc's heap in use, per connection
#   telemetry  every device publishes MESSAGES QoS 1 messages of PAYLOAD bytes, IN_FLIGHT at a time:
#              CPU per message to the last PUBACK, msg/s; the broker's CPU per message beside it
# Prints a table with TCP, WS and WS / TCP (TLS=1 adds mqtts, wss and wss / mqtts). The machine is shared:
# compare the ratios of one run, not absolute numbers across runs. Not a test: numbers only.
#   Scripts/bench-websocket.sh                     # 5000 devices, 20 messages each
#   TLS=1 Scripts/bench-websocket.sh               # and over TLS (server-authenticated, a fresh `fleet certs` PKI)
#   DEVICES=1000 MESSAGES=50 ROUNDS=2 Scripts/bench-websocket.sh
#   SKIP_BUILD=1 reuses the binaries; FLEET=/path/to/fleet another build of fleet for the broker
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
devices=${DEVICES:-5000}
messages=${MESSAGES:-20}
in_flight=${IN_FLIGHT:-1}
payload=${PAYLOAD:-100}
concurrent=${CONCURRENT:-100}
settle=${SETTLE:-3}
rounds=${ROUNDS:-1}
tls=${TLS:-0}
port=${PORT:-18850}   # tcp; ws +1, mqtts +2, wss +3
work=$(mktemp -d /tmp/bench-websocket.XXXXXX)
broker_pid=""
stop_broker() {
  if [ -n "$broker_pid" ]; then
    kill "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
    broker_pid=""
  fi
}
trap stop_broker EXIT

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "== release builds (fleet: .build-bench; transport-cost: Benchmarks/.build)"
  (cd "$src" && swift build -c release --scratch-path .build-bench --product fleet 2>&1 | tail -1)
  (cd "$src" && swift build -c release --package-path Benchmarks --product transport-cost 2>&1 | tail -1)
fi
fleet=${FLEET:-$src/.build-bench/release/fleet}
bench="$(cd "$src" && swift build -c release --package-path Benchmarks --show-bin-path)/transport-cost"

transports="tcp ws"
listeners=(--port "$port" --ws-port $((port + 1)))
if [ "$tls" = 1 ]; then
  transports="tcp ws mqtts wss"
  "$fleet" certs init --dir "$work/certs" > /dev/null
  "$fleet" certs server --dir "$work/certs" --host 127.0.0.1 > /dev/null
  listeners+=(--tls-port $((port + 2)) --wss-port $((port + 3)) --certs "$work/certs")
fi
port_of() { case $1 in tcp) echo "$port" ;; ws) echo $((port + 1)) ;; mqtts) echo $((port + 2)) ;; wss) echo $((port + 3)) ;; esac; }

start_broker() {
  (ulimit -n 20000 && exec "$fleet" broker --profile standard --host 127.0.0.1 "${listeners[@]}" --status-every 0) \
    >> "$work/broker.log" 2>&1 &
  broker_pid=$!
  local p
  for p in $(for t in $transports; do port_of "$t"; done); do
    for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.1; done
    (echo > "/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "broker did not listen on $p"; tail "$work/broker.log"; exit 1; }
  done
}

declare -A result
keys="connect_s connect_cpu_us connack_p50_ms connack_p99_ms rss_kib heap_b msg_rate msg_cpu_us broker_connect_cpu_us broker_msg_cpu_us"
for round in $(seq 1 "$rounds"); do
  for transport in $transports; do
    start_broker
    echo "== round $round: $transport, $devices devices, $messages QoS 1 messages of $payload bytes each"
    ca=()
    case $transport in mqtts|wss) ca=(--ca "$work/certs/root.pem") ;; esac
    (ulimit -n 20000; exec "$bench" --transport "$transport" --port "$(port_of "$transport")" "${ca[@]}" \
      --broker-pid "$broker_pid" --devices "$devices" --concurrent-connects "$concurrent" --settle "$settle" \
      --messages "$messages" --in-flight "$in_flight" --payload "$payload") \
      | tee "$work/$transport-$round.log" | sed 's/^/  /'
    stop_broker
    line=$(grep '^RESULT' "$work/$transport-$round.log")
    for key in $keys; do
      result[$transport,$round,$key]=$(echo "$line" | tr ' ' '\n' | awk -F= -v k="$key" '$1 == k { print $2 }')
    done
  done
done

values() { # transport key: the rounds' values, comma-separated
  local r out=""
  for r in $(seq 1 "$rounds"); do out="$out${out:+, }${result[$1,$r,$2]:--}"; done
  echo "$out"
}
ratios() { # over under key: per round
  local r out=""
  for r in $(seq 1 "$rounds"); do
    out="$out${out:+, }$(awk -v a="${result[$1,$r,$3]:-}" -v b="${result[$2,$r,$3]:-}" \
      'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.2f", a / b; else print "-" }')"
  done
  echo "$out"
}
row() {
  printf "  %-36s %16s %16s %12s" "$1" "$(values tcp "$2")" "$(values ws "$2")" "$(ratios ws tcp "$2")"
  [ "$tls" = 1 ] && printf " %16s %16s %12s" "$(values mqtts "$2")" "$(values wss "$2")" "$(ratios wss mqtts "$2")"
  printf "\n"
}
echo
echo "== WebSocket vs TCP, client side ($devices devices, $messages × $payload-byte QoS 1 each, $in_flight in flight;" \
     "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg))"
printf "  %-36s %16s %16s %12s" "" tcp ws "ws / tcp"
[ "$tls" = 1 ] && printf " %16s %16s %12s" mqtts wss "wss / mqtts"
printf "\n"
row "connect: wall to all connected (s)" connect_s
row "  CPU per connection (µs)" connect_cpu_us
row "  CONNACK p50 (ms)" connack_p50_ms
row "  CONNACK p99 (ms)" connack_p99_ms
row "idle: RSS per connection (KiB)" rss_kib
row "  heap in use per connection (B)" heap_b
row "telemetry: msg/s" msg_rate
row "  CPU per message (µs)" msg_cpu_us
row "broker CPU per connection (µs)" broker_connect_cpu_us
row "broker CPU per message (µs)" broker_msg_cpu_us
echo "  logs: $work"
