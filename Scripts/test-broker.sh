#!/usr/bin/env bash
# Starts the brokers that the integration tests talk to, on loopback:
#   mosquitto: 1883 plain · 1884 plain with ACL (.ci/mosquitto/acl) · 8883 mTLS · 8884 server-only TLS.
#   amqtt (MQTT 3.1.1 only, .ci/amqtt/amqtt.yaml.in), for WebSockets, which Debian's mosquitto lacks:
#     1885 plain TCP · 8080 ws:// (any path) · 8443 wss:// (client certificate optional, verified if sent).
# Usage: Scripts/test-broker.sh start|stop|status   (state and logs in .test-broker/, ignored by git)
# start is idempotent: a broker that is already running is left alone. amqtt comes from PyPI
# (pip install amqtt==0.12.1; .ci/run installs it).
# Each broker may hold at most 20,000 file descriptors (a hard limit it cannot raise).
# The test PKI (root → intermediate → server and a few device identities) is made with openssl
# so that the broker does not depend on the code under test.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
dir="$src/.test-broker"
pki="$dir/pki"

make_pki() {
  mkdir -p "$pki" && cd "$pki"
  [ -f root.pem ] && return 0
  umask 077
  openssl ecparam -name prime256v1 -genkey -noout -out root.key
  openssl req -x509 -new -key root.key -sha256 -days 3650 -subj "/CN=fleet test root" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out root.pem
  openssl ecparam -name prime256v1 -genkey -noout -out intermediate.key
  openssl req -new -key intermediate.key -subj "/CN=fleet test intermediate" -out intermediate.csr
  printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > ca.ext
  openssl x509 -req -in intermediate.csr -CA root.pem -CAkey root.key -CAcreateserial -days 3650 -sha256 \
    -extfile ca.ext -out intermediate.pem
  openssl ecparam -name prime256v1 -genkey -noout -out server.key
  openssl req -new -key server.key -subj "/CN=localhost" -out server.csr
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
  openssl x509 -req -in server.csr -CA intermediate.pem -CAkey intermediate.key -CAcreateserial -days 825 \
    -sha256 -extfile server.ext -out server.leaf.pem
  cat server.leaf.pem intermediate.pem > server.pem
  cat root.pem > ca-bundle.pem
  printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > client.ext
  for id in device-1 device-2; do
    openssl ecparam -name prime256v1 -genkey -noout -out "$id.key"
    openssl req -new -key "$id.key" -subj "/CN=$id" -out "$id.csr"
    openssl x509 -req -in "$id.csr" -CA intermediate.pem -CAkey intermediate.key -CAcreateserial -days 365 \
      -sha256 -extfile client.ext -out "$id.leaf.pem"
    cat "$id.leaf.pem" intermediate.pem > "$id.pem"   # the chain, as devices send it
  done
  # A CA the broker does not trust, for "wrong CA" diagnoses.
  openssl ecparam -name prime256v1 -genkey -noout -out foreign-root.key
  openssl req -x509 -new -key foreign-root.key -sha256 -days 3650 -subj "/CN=foreign root" \
    -addext "basicConstraints=critical,CA:TRUE" -out foreign-root.pem
  chmod 600 ./*.key
  rm -f ./*.csr ./*.srl
}

# Runs "$@" with the descriptor cap: hard 20,000 (or the lower limit already in force), soft = hard.
capped() (
  ulimit -Hn 20000 2>/dev/null || true
  ulimit -Sn "$(ulimit -Hn)"
  exec "$@"
)

# Polls (bounded, 10 s) until the process matching pattern $2 runs (its pid into file $1) and every
# port in $3… accepts a connection.
await_broker() {
  local pidfile=$1 pattern=$2 port ready
  shift 2
  for _ in $(seq 1 100); do
    if pgrep -f "$pattern" > "$pidfile"; then
      ready=1
      for port in "$@"; do
        (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null || { ready=0; break; }
      done
      [ "$ready" = 1 ] && return 0
    fi
    sleep 0.1
  done
  return 1
}

start_mosquitto() {
  if mosquitto_running; then
    echo "mosquitto $(cat "$dir/pid") already running (Scripts/test-broker.sh stop to stop it)"
    return 0
  fi
  sed -e "s|@PKI@|$pki|g" -e "s|@DIR@|$dir|g" -e "s|@SRC@|$src|g" "$src/.ci/mosquitto/mosquitto.conf.in" > "$dir/mosquitto.conf"
  # mosquitto started as root drops to the 'mosquitto' user: let that user read the PKI and write the log.
  # A checkout under a folder that user may not enter (root's home is 0700) keeps it out whatever the
  # files' owner: then this throwaway loopback broker keeps root's rights instead, and says so.
  if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
    chown -R mosquitto "$dir"
    if ! runuser -u mosquitto -- test -r "$pki/server.key" -a -r "$src/.ci/mosquitto/acl" -a -w "$dir"; then
      echo "note: user mosquitto cannot reach $dir (a folder above it is private): the test mosquitto runs as root"
      printf 'user root\n' >> "$dir/mosquitto.conf"
    fi
  fi
  capped mosquitto -c "$dir/mosquitto.conf" -d
  if await_broker "$dir/pid" "mosquitto -c $dir/mosquitto.conf" 1883 1884 8883 8884; then
    echo "mosquitto $(cat "$dir/pid") on 127.0.0.1:1883 (plain) 1884 (ACL) 8883 (mTLS) 8884 (TLS); PKI in $pki"
    return 0
  fi
  echo "mosquitto did not start; its log:" >&2
  tail -20 "$dir/mosquitto.log" >&2
  rm -f "$dir/pid"
  return 1
}

amqtt_ports="1885 8080 8443"

start_amqtt() {
  if amqtt_running; then
    echo "amqtt $(cat "$dir/amqtt.pid") already running (Scripts/test-broker.sh stop to stop it)"
    return 0
  fi
  if ! python3 -c 'import amqtt' 2>/dev/null; then
    echo "amqtt is not installed: pip install amqtt==0.12.1 (bash .ci/run does)" >&2
    return 1
  fi
  # amqtt keeps running when a listener fails to bind, and another program on the port would answer
  # the readiness poll: so the ports must be free before, and the log free of a failed start after.
  local port
  for port in $amqtt_ports; do
    if (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "amqtt cannot start: 127.0.0.1:$port is taken by another program" >&2
      return 1
    fi
  done
  sed -e "s|@PKI@|$pki|g" "$src/.ci/amqtt/amqtt.yaml.in" > "$dir/amqtt.yaml"
  # Its own session, so that ending the shell or job that started it does not end the broker.
  capped setsid python3 -m amqtt.scripts.broker_script -c "$dir/amqtt.yaml" < /dev/null > "$dir/amqtt.log" 2>&1 &
  if await_broker "$dir/amqtt.pid" "amqtt.scripts.broker_script -c $dir/amqtt.yaml" $amqtt_ports &&
    ! grep -q "Broker startup failed" "$dir/amqtt.log"; then
    echo "amqtt $(cat "$dir/amqtt.pid") on 127.0.0.1:1885 (plain) 8080 (ws) 8443 (wss); MQTT 3.1.1 only"
    return 0
  fi
  echo "amqtt did not start; its log:" >&2
  tail -20 "$dir/amqtt.log" >&2
  stop_pid "$dir/amqtt.pid"
  return 1
}

start() {
  make_pki
  start_mosquitto
  start_amqtt
}

# Ends the process in pid file $1 (if it runs), waits up to 10 s for it to exit, removes the file.
stop_pid() {
  local pidfile=$1 pid
  if [ -s "$pidfile" ] && pid=$(cat "$pidfile") && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -f "$pidfile"
}

stop() {
  stop_pid "$dir/pid"
  stop_pid "$dir/amqtt.pid"
}

running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
mosquitto_running() { running "$dir/pid"; }
amqtt_running() { running "$dir/amqtt.pid"; }
status() { mosquitto_running && amqtt_running; }

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status)
    mosquitto_running && echo "mosquitto running" || echo "mosquitto stopped"
    amqtt_running && echo "amqtt running" || echo "amqtt stopped"
    status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
