#!/usr/bin/env bash
# Benchmark: fleet's lab broker (`fleet broker --profile standard`) and mosquitto side by side, the same
# load for each in turn, each broker its own instance on its own loopback port with `ulimit -n 20000`.
#   connections  DEVICES idle MQTT connections held (`fleet run`, a generated scenario, ramped at RATE/s over
#                source addresses 127.0.0.2–20, keep-alive 60 s, no telemetry): all connected?, ramp time,
#                CONNACK latency, broker RSS before and at full load → KiB per idle connection, broker CPU.
#   routing      QoS 0 fan-in (Benchmarks' `broker-routing`): PUBLISHERS connections flat out to their own
#                topics, one subscriber on bench/#, DURATION s: msg/s delivered, broker CPU per message,
#                the generator's CPU (it must not be the bottleneck).
# mosquitto keeps its stock TCP settings (Nagle on: with `set_tcp_nodelay true` it routes QoS 0 2.3× slower
# here, one segment per message); the lab broker sets TCP_NODELAY. Prints a table with `lab / mosquitto` for
# every figure. Not a test: numbers only.
#   Scripts/bench-lab-broker.sh            # 19000 connections at 1000/s, 100 publishers for 10 s
#   QUICK=1 Scripts/bench-lab-broker.sh    # 2000 connections, 3 s of routing: a sanity run in seconds
#   DEVICES=10000 RATE=500 PUBLISHERS=50 DURATION=20 Scripts/bench-lab-broker.sh
#   TLS=1 Scripts/bench-lab-broker.sh      # connections over mutual TLS (a certificate per device); routing stays plain
#   BROKERS="mosquitto lab floor"   adds Benchmarks' nio-idle-floor to the connections: a bare SwiftNIO server
#                                   answering CONNECT and PINGREQ, the RSS floor of one NIO channel per connection
#   ONLY=connections|routing  BROKERS="lab"  keep only some of it; SKIP_BUILD=1 runs the binaries as built;
#   FLEET=/path/to/fleet  another build of fleet (e.g. of a clean checkout while the tree is being edited)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
quick=${QUICK:-0}
if [ "$quick" = 1 ]; then def_devices=2000; def_duration=3; def_hold=2; else def_devices=19000; def_duration=10; def_hold=5; fi
devices=${DEVICES:-$def_devices}
rate=${RATE:-1000}              # connects per second during the ramp
hold=${HOLD:-$def_hold}         # seconds held at full load before RSS is read
publishers=${PUBLISHERS:-100}
duration=${DURATION:-$def_duration}
payload=${PAYLOAD:-64}
tls=${TLS:-0}
only=${ONLY:-all}
brokers=${BROKERS:-"mosquitto lab"}
mosquitto_port=${MOSQUITTO_PORT:-18840}
lab_port=${LAB_PORT:-18841}
floor_port=${FLOOR_PORT:-18842}
work=$(mktemp -d /tmp/bench-lab-broker.XXXXXX)
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
  echo "== release builds (fleet: .build-bench; broker-routing: Benchmarks/.build)"
  (cd "$src" && swift build -c release --scratch-path .build-bench --product fleet 2>&1 | tail -1)
  (cd "$src" && swift build -c release --package-path Benchmarks --product broker-routing 2>&1 | tail -1)
  case " $brokers " in *" floor "*)
    (cd "$src" && swift build -c release --package-path Benchmarks --product nio-idle-floor 2>&1 | tail -1) ;;
  esac
fi
fleet=${FLEET:-$src/.build-bench/release/fleet}
routing="$(cd "$src" && swift build -c release --package-path Benchmarks --show-bin-path)/broker-routing"
command -v mosquitto >/dev/null || { echo "needs mosquitto (apt-get install mosquitto)" >&2; exit 1; }

if [ "$tls" = 1 ]; then
  echo "== device PKI: $devices P-256 identities (fleet certs), broker identity for 127.0.0.1"
  "$fleet" certs init --dir "$work/certs" > /dev/null
  "$fleet" certs issue --dir "$work/certs" --id-pattern 'bench-{index:05}' --count "$devices" | tail -1
  echo bench-observer > "$work/observer-id"
  "$fleet" certs issue --dir "$work/certs" --ids "$work/observer-id" > /dev/null
  "$fleet" certs server --dir "$work/certs" --host 127.0.0.1 > /dev/null
fi

port_of() { case $1 in lab) echo "$lab_port" ;; floor) echo "$floor_port" ;; *) echo "$mosquitto_port" ;; esac; }

# Starts broker $1 (mosquitto | lab) on its port, plain or TLS ($2 = 1), and waits until it listens.
start_broker() {
  local name=$1 with_tls=$2 port
  port=$(port_of "$name")
  if [ "$name" = mosquitto ]; then
    {
      echo "per_listener_settings true"
      echo "user $(id -un)"
      echo "persistence false"
      echo "log_dest file $work/mosquitto.log"
      echo "log_type error"
      echo "log_type warning"
      echo "connection_messages false"
      echo "max_keepalive 65535"
      echo "listener $port 127.0.0.1"
      echo "allow_anonymous true"
      echo "max_connections -1"
      if [ "$with_tls" = 1 ]; then
        echo "cafile $work/certs/root.pem"
        echo "certfile $work/certs/server/chain.pem"
        echo "keyfile $work/certs/server/key.pem"
        echo "require_certificate true"
        echo "use_identity_as_username true"
      fi
    } > "$work/mosquitto.conf"
    (ulimit -n 20000 && exec mosquitto -c "$work/mosquitto.conf") &
  elif [ "$name" = floor ]; then
    [ "$with_tls" = 1 ] && { echo "floor: plain TCP only"; exit 1; }
    (ulimit -n 20000 && exec "$(dirname "$routing")/nio-idle-floor" "$port") >> "$work/floor.log" 2>&1 &
  else
    local listener=(--port "$port")
    [ "$with_tls" = 1 ] && listener=(--port=-1 --tls-port "$port" --certs "$work/certs" --require-client-certificate)
    (ulimit -n 20000 && exec "$fleet" broker --profile standard --host 127.0.0.1 "${listener[@]}" --status-every 5) \
      >> "$work/lab-broker.log" 2>&1 &
  fi
  broker_pid=$!
  for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$name did not listen on $port"; tail "$work"/*.log; exit 1; }
  sleep 1   # let it settle before the baseline is read
}

rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$1/stat"; }
established() { ss -Htn state established "( sport = :$1 )" | wc -l; }
now() { date +%s.%N; }
declare -A result

# connections: $devices idle devices held through broker $1.
bench_connections() {
  local name=$1 port url rss0 cpu0 first="" full="" peak=0 cpu_full="" count=0
  port=$(port_of "$name")
  start_broker "$name" "$tls"
  rss0=$(rss_kib "$broker_pid"); cpu0=$(cpu_s "$broker_pid")
  url="mqtt://127.0.0.1:$port"
  local scenario_tls="" device_credentials=""
  if [ "$tls" = 1 ]; then
    url="mqtts://127.0.0.1:$port"
    scenario_tls="  ca: $work/certs/root.pem
observer:
  credentials:
    certificate: $work/certs/devices/bench-observer/chain.pem
    key: $work/certs/devices/bench-observer/key.pem"
    device_credentials="    credentials: { certificates: $work/certs }"
  fi
  local ramp settle=3 stop sources
  ramp=$(awk -v n="$devices" -v r="$rate" 'BEGIN { printf "%.1f", n / r }')
  stop=$(awk -v s="$settle" -v a="$ramp" -v h="$hold" 'BEGIN { printf "%.1f", s + a + h + 5 }')
  sources=$(seq 2 20 | sed 's/^/127.0.0./' | paste -sd, - | sed 's/,/, /g')
  cat > "$work/connections.yaml" <<YAML
name: bench-lab-broker-connections
seed: 1
broker:
  url: $url
  source-addresses: [$sources]
$scenario_tls
groups:
  - name: idle
    count: $devices
    client-id: "bench-{index:05}"
    personality: custom
    protocol: "3.1.1"
    keepalive: 60s
$device_credentials
timeline:
  - { at: ${settle}s, ramp: { over: ${ramp}s } }
  - { at: ${stop}s, stop: graceful }
YAML
  echo "== $name: $devices idle connections, ramp ${ramp}s ($rate/s), TLS=$tls"
  (ulimit -n 20000; exec "$fleet" run "$work/connections.yaml" --events "$work/$name-events.jsonl" --status-every 5) \
    > "$work/$name-run.log" 2>&1 &
  local fleet_pid=$! deadline
  deadline=$(awk -v t="$(now)" -v s="$stop" 'BEGIN { printf "%.0f", t + s }')
  while kill -0 "$fleet_pid" 2>/dev/null; do
    count=$(established "$port")
    if [ -z "$first" ] && [ "$count" -gt 0 ]; then first=$(now); fi
    if [ -z "$full" ] && [ "$count" -ge "$devices" ]; then
      full=$(now); cpu_full=$(cpu_s "$broker_pid")
      sleep "$hold"
      peak=$(rss_kib "$broker_pid")
      count=$(established "$port")
      break
    fi
    [ "$(now | cut -d. -f1)" -ge "$deadline" ] && break
    sleep 0.2
  done
  [ -z "$full" ] && { peak=$(rss_kib "$broker_pid"); cpu_full=$(cpu_s "$broker_pid"); }
  wait "$fleet_pid" || echo "  fleet run exited non-zero (see $work/$name-run.log)"
  stop_broker
  local connack
  connack=$(grep -o '"connackNs":[0-9]*' "$work/$name-events.jsonl" | cut -d: -f2 | sort -n \
    | awk '{ v[NR] = $1 } END { if (NR == 0) { print "- -"; exit }
             printf "%.1f %.1f\n", v[int(NR * 0.5) + 1] / 1e6, v[(int(NR * 0.99) + 1 > NR) ? NR : int(NR * 0.99) + 1] / 1e6 }')
  result[$name,all]=$([ -n "$full" ] && echo yes || echo "no ($count)")
  result[$name,ramp]=$([ -n "$full" ] && awk -v a="$first" -v b="$full" 'BEGIN { printf "%.1f", b - a }' || echo -)
  result[$name,rss0]=$(awk -v k="$rss0" 'BEGIN { printf "%.1f", k / 1024 }')
  result[$name,rss]=$(awk -v k="$peak" 'BEGIN { printf "%.1f", k / 1024 }')
  result[$name,perconn]=$(awk -v p="$peak" -v b="$rss0" -v n="$devices" 'BEGIN { printf "%.2f", (p - b) / n }')
  result[$name,rampcpu]=$(awk -v a="$cpu0" -v b="$cpu_full" 'BEGIN { printf "%.2f", b - a }')
  result[$name,connack50]=${connack% *}
  result[$name,connack99]=${connack#* }
  echo "  all connected: ${result[$name,all]} in ${result[$name,ramp]} s; RSS ${result[$name,rss0]} → ${result[$name,rss]} MiB" \
       "(${result[$name,perconn]} KiB per connection); CPU ${result[$name,rampcpu]} s for the ramp;" \
       "CONNACK p50 ${result[$name,connack50]} ms, p99 ${result[$name,connack99]} ms"
}

# routing: QoS 0 fan-in through broker $1 (always plain TCP).
bench_routing() {
  local name=$1 port line
  port=$(port_of "$name")
  start_broker "$name" 0
  echo "== $name: QoS 0 routing, $publishers publishers → 1 subscriber, ${duration}s"
  "$routing" --port "$port" --broker-pid "$broker_pid" --publishers "$publishers" --payload "$payload" \
    --duration "$duration" --drain 5 | tee "$work/$name-routing.log" | sed 's/^/  /'
  stop_broker
  line=$(grep '^RESULT' "$work/$name-routing.log")
  for key in rate broker_us_per_msg broker_cpu_pct gen_cpu_pct undelivered; do
    result[$name,$key]=$(echo "$line" | tr ' ' '\n' | awk -F= -v k="$key" '$1 == k { print $2 }')
  done
}

for name in $brokers; do
  case "$only" in all|connections) bench_connections "$name" ;; esac
  [ "$name" = floor ] && continue   # it routes nothing
  case "$only" in all|routing) bench_routing "$name" ;; esac
done

ratio() {  # lab / mosquitto, when both are numbers
  awk -v l="${result[lab,$1]:-}" -v m="${result[mosquitto,$1]:-}" \
    'BEGIN { if (l ~ /^[0-9.]+$/ && m ~ /^[0-9.]+$/ && m + 0 > 0) printf "%.2f", l / m; else print "-" }'
}
with_floor=0
case " $brokers " in *" floor "*) with_floor=1 ;; esac
row() {
  printf "  %-40s %14s %14s %12s" "$1" "${result[mosquitto,$2]:--}" "${result[lab,$2]:--}" "$(ratio "$2")"
  [ "$with_floor" = 1 ] && printf " %14s" "${result[floor,$2]:--}"
  printf "\n"
}
echo
echo "== lab broker vs mosquitto ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg))"
printf "  %-40s %14s %14s %12s" "" mosquitto lab "lab / mosq."
[ "$with_floor" = 1 ] && printf " %14s" "NIO floor"
printf "\n"
if [ "$only" != routing ]; then
  row "$devices idle connections: all connected" all
  row "  ramp, first → all connected (s)" ramp
  row "  CONNACK p50 (ms)" connack50
  row "  CONNACK p99 (ms)" connack99
  row "  broker RSS idle (MiB)" rss0
  row "  broker RSS at full load (MiB)" rss
  row "  KiB per idle connection$([ "$tls" = 1 ] && echo ' (TLS)')" perconn
  row "  broker CPU for the ramp (s)" rampcpu
fi
if [ "$only" != connections ]; then
  row "QoS 0 routing, delivered (msg/s)" rate
  row "  broker CPU per message (µs)" broker_us_per_msg
  row "  broker CPU (% of a core)" broker_cpu_pct
  row "  generator CPU (% of a core)" gen_cpu_pct
  row "  not delivered after drain" undelivered
fi
echo "  logs: $work"
