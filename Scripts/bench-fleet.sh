#!/usr/bin/env bash
# Benchmark: one `fleet run` process driving N devices (default 19000) against its OWN mosquitto
# (port 18830, max_connections -1, ulimit -n 20000; the shared test broker is left alone), spread over
# source addresses 127.0.0.2–127.0.0.20, ramped at a paced rate. Prints time to all-connected,
# telemetry msgs/s and resident memory per device. TLS=1: mutual TLS, every device with its own
# certificate from `fleet certs` (P-256), as the product's devices connect.
#   Scripts/bench-fleet.sh                 # 19000 devices, 500 connects/s, telemetry every 10 s, hold 30 s
#   DEVICES=2000 RATE=1000 EVERY=5s HOLD=20 Scripts/bench-fleet.sh
#   TLS=1 DEVICES=10000 Scripts/bench-fleet.sh
#   PROCESSES=2 Scripts/bench-fleet.sh     # the devices split over 2 worker processes (RSS summed)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
devices=${DEVICES:-19000}
rate=${RATE:-500}          # connects per second during the ramp
every=${EVERY:-10s}        # telemetry interval per device
hold=${HOLD:-30}           # seconds to stay connected after the ramp
port=${PORT:-18830}
tls=${TLS:-0}
processes=${PROCESSES:-1}
work=$(mktemp -d /tmp/bench-fleet.XXXXXX)
broker_pid=""
trap '[ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null; true' EXIT

echo "== release build"
(cd "$src" && swift build -c release --scratch-path .build-fleet --product fleet 2>&1 | tail -1)
fleet="$src/.build-fleet/release/fleet"

url="mqtt://127.0.0.1:$port"
broker_tls=""
scenario_tls=""
device_credentials=""
if [ "$tls" = 1 ]; then
  echo "== device PKI: $devices P-256 identities (fleet certs)"
  "$fleet" certs init --dir "$work/certs" > /dev/null
  "$fleet" certs issue --dir "$work/certs" --id-pattern 'bench-{index:05}' --count "$devices" | tail -1
  echo bench-observer > "$work/observer-id"
  "$fleet" certs issue --dir "$work/certs" --ids "$work/observer-id" > /dev/null
  "$fleet" certs server --dir "$work/certs" --host 127.0.0.1 > /dev/null
  url="mqtts://127.0.0.1:$port"
  broker_tls="cafile $work/certs/root.pem
certfile $work/certs/server/chain.pem
keyfile $work/certs/server/key.pem
require_certificate true
use_identity_as_username true"
  scenario_tls="  ca: $work/certs/root.pem
observer:
  credentials:
    certificate: $work/certs/devices/bench-observer/chain.pem
    key: $work/certs/devices/bench-observer/key.pem"
  device_credentials="    credentials: { certificates: $work/certs }"
fi

echo "== mosquitto on 127.0.0.1:$port (own instance, ulimit -n 20000, TLS=$tls)"
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
$broker_tls
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
  url: $url
  source-addresses: [$sources]
$scenario_tls
groups:
  - name: bench
    count: $devices
    client-id: "bench-{index:05}"
    personality: custom
    keepalive: 60s
    telemetry: { topic: "bench/{clientId}/sequence", every: $every, qos: 1 }
$device_credentials
timeline:
  - { at: ${settle}s, ramp: { over: ${ramp}s } }
  - { at: ${stop}s, stop: graceful }
YAML

echo "== fleet run: $devices devices in $processes process(es), ramp ${ramp}s ($rate/s), hold ${hold}s, telemetry every $every"
(ulimit -n 20000; exec "$fleet" run "$work/bench.yaml" --events "$work/events.jsonl" --status-every 5 \
   --processes "$processes") \
  > "$work/run.log" 2>&1 &
fleet_pid=$!
started=$(date +%s.%N); baseline=0; peak=0
while kill -0 "$fleet_pid" 2>/dev/null; do
  # The run and its worker processes, if any.
  rss=0
  for pid in "$fleet_pid" $(pgrep -P "$fleet_pid" || true); do
    rss=$(( rss + $(awk '/VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0) ))
  done
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
echo "== connect latency (TCP + TLS + CONNACK, from the ledger's connected events)"
grep -o '"connected":{[^}]*}' "$work/events.jsonl" \
  | awk '{ t = 0; l = 0; c = 0
           if (match($0, /"tcpNs":[0-9]+/)) t = substr($0, RSTART + 8, RLENGTH - 8)
           if (match($0, /"tlsNs":[0-9]+/)) l = substr($0, RSTART + 8, RLENGTH - 8)
           if (match($0, /"connackNs":[0-9]+/)) c = substr($0, RSTART + 12, RLENGTH - 12)
           printf "%.3f\n", (t + l + c) / 1e6 }' | sort -n \
  | awk 'function at(q,  i) { i = int(NR * q) + 1; if (i > NR) i = NR; return v[i] }
         { v[NR] = $1 }
         END { if (NR == 0) { print "  none"; exit }
               printf "  %d connects: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", NR, at(0.5), at(0.99), v[NR] }'
echo "  events: $work/events.jsonl ($(wc -l < "$work/events.jsonl") lines); broker log: $work/mosquitto.log"
