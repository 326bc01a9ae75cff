#!/usr/bin/env bash
# Benchmark: one `fleet run` process driving N devices (default 19000) against its OWN mosquitto
# (port 18830, max_connections -1, ulimit -n 20000; the shared test broker is left alone), spread over
# source addresses 127.0.0.2–127.0.0.20, ramped at a paced rate. Prints time to all-connected,
# telemetry msgs/s and resident memory per device.
#   Scripts/bench-fleet.sh                 # 19000 devices, 500 connects/s, telemetry every 10 s, hold 30 s
#   DEVICES=2000 RATE=1000 EVERY=5s HOLD=20 Scripts/bench-fleet.sh
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
devices=${DEVICES:-19000}
rate=${RATE:-500}          # connects per second during the ramp
every=${EVERY:-10s}        # telemetry interval per device
hold=${HOLD:-30}           # seconds to stay connected after the ramp
port=${PORT:-18830}
work=$(mktemp -d /tmp/bench-fleet.XXXXXX)
broker_pid=""
trap '[ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null; true' EXIT

echo "== release build"
(cd "$src" && swift build -c release --scratch-path .build-fleet --product fleet 2>&1 | tail -1)
fleet="$src/.build-fleet/release/fleet"

echo "== mosquitto on 127.0.0.1:$port (own instance, ulimit -n 20000)"
cat > "$work/mosquitto.conf" <<CONF
per_listener_settings true
user $(id -un)
persistence false
log_dest file $work/mosquitto.log
log_type error
log_type warning
connection_messages false
max_keepalive 65535
set_tcp_nodelay true
listener $port 127.0.0.1
allow_anonymous true
max_connections -1
CONF
(ulimit -n 20000 && exec mosquitto -c "$work/mosquitto.conf") &
broker_pid=$!
for _ in $(seq 1 50); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

ramp=$(awk -v n="$devices" -v r="$rate" 'BEGIN { printf "%.1f", n / r }')
settle=3   # seconds before the ramp: the process is up with every device built, none connected
stop=$(awk -v s="$settle" -v a="$ramp" -v h="$hold" 'BEGIN { printf "%.1f", s + a + h }')
sources=$(seq 2 20 | sed 's/^/127.0.0./' | paste -sd, - | sed 's/,/, /g')
cat > "$work/bench.yaml" <<YAML
name: bench-fleet
seed: 1
broker:
  url: mqtt://127.0.0.1:$port
  source-addresses: [$sources]
groups:
  - name: bench
    count: $devices
    client-id: "bench-{index:05}"
    personality: custom
    keepalive: 60s
    telemetry: { topic: "bench/{clientId}/sequence", every: $every, qos: 1 }
timeline:
  - { at: ${settle}s, ramp: { over: ${ramp}s } }
  - { at: ${stop}s, stop: graceful }
YAML

echo "== fleet run: $devices devices, ramp ${ramp}s ($rate/s), hold ${hold}s, telemetry every $every"
(ulimit -n 20000; exec "$fleet" run "$work/bench.yaml" --events "$work/events.jsonl" --status-every 5) \
  > "$work/run.log" 2>&1 &
fleet_pid=$!
started=$(date +%s.%N); baseline=0; peak=0
while kill -0 "$fleet_pid" 2>/dev/null; do
  rss=$(awk '/VmRSS/ { print $2 }' "/proc/$fleet_pid/status" 2>/dev/null || echo 0)
  [ -n "$rss" ] || rss=0
  # Until shortly before the ramp, the highest RSS is the fleet with its devices built, none connected.
  if awk -v s="$started" -v t="$(date +%s.%N)" -v w="$settle" 'BEGIN { exit !(t - s < w - 0.5) }'; then
    [ "$rss" -gt "$baseline" ] && baseline=$rss
  fi
  [ "$rss" -gt "$peak" ] && peak=$rss
  sleep 0.25
done
wait "$fleet_pid" || { echo "fleet run failed:"; tail -20 "$work/run.log"; exit 1; }
cat "$work/run.log"
echo "== memory"
awk -v p="$peak" -v b="$baseline" -v n="$devices" 'BEGIN {
  printf "  fleet RSS peak %.1f MiB; before connecting (devices built) %.1f MiB\n", p / 1024, b / 1024
  printf "  RSS per device: %.1f KiB (peak / devices); %.1f KiB per connected device (growth / devices)\n", p / n, (p - b) / n
}'
echo "== connect latency (connector start → CONNACK, from the ledger's connected events)"
grep -o '"connected":{[^}]*}' "$work/events.jsonl" \
  | awk '{ t = 0; c = 0
           if (match($0, /"tcpNs":[0-9]+/)) t = substr($0, RSTART + 8, RLENGTH - 8)
           if (match($0, /"connackNs":[0-9]+/)) c = substr($0, RSTART + 12, RLENGTH - 12)
           printf "%.3f\n", (t + c) / 1e6 }' | sort -n \
  | awk 'function at(q,  i) { i = int(NR * q) + 1; if (i > NR) i = NR; return v[i] }
         { v[NR] = $1 }
         END { if (NR == 0) { print "  none"; exit }
               printf "  %d connects: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", NR, at(0.5), at(0.99), v[NR] }'
echo "  events: $work/events.jsonl ($(wc -l < "$work/events.jsonl") lines); broker log: $work/mosquitto.log"
