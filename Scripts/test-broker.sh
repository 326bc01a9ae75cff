#!/usr/bin/env bash
# Starts the mosquitto that the integration tests talk to, on loopback:
#   1883 plain · 1884 plain with ACL (.ci/mosquitto/acl) · 8883 mTLS · 8884 server-only TLS.
# Usage: Scripts/test-broker.sh start|stop|status   (state in .test-broker/, ignored by git)
# start is idempotent: a broker that is already running is left alone.
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

start() {
  if status; then
    echo "mosquitto $(cat "$dir/pid") already running (Scripts/test-broker.sh stop to stop it)"
    return 0
  fi
  make_pki
  sed -e "s|@PKI@|$pki|g" -e "s|@DIR@|$dir|g" -e "s|@SRC@|$src|g" "$src/.ci/mosquitto/mosquitto.conf.in" > "$dir/mosquitto.conf"
  # mosquitto started as root drops to the 'mosquitto' user: let that user read the PKI and write the log.
  if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then chown -R mosquitto "$dir"; fi
  mosquitto -c "$dir/mosquitto.conf" -d
  for _ in $(seq 1 100); do
    if pgrep -f "mosquitto -c $dir/mosquitto.conf" > "$dir/pid" && (echo > /dev/tcp/127.0.0.1/8884) 2>/dev/null; then
      echo "mosquitto $(cat "$dir/pid") on 127.0.0.1:1883 (plain) 1884 (ACL) 8883 (mTLS) 8884 (TLS); PKI in $pki"
      return 0
    fi
    sleep 0.1
  done
  echo "mosquitto did not start; its log:" >&2
  tail -20 "$dir/mosquitto.log" >&2
  rm -f "$dir/pid"
  return 1
}

stop() {
  status || { rm -f "$dir/pid"; return 0; }
  local pid
  pid=$(cat "$dir/pid")
  kill "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  rm -f "$dir/pid"
}

status() { [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; }

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status && echo running || { echo stopped; exit 1; } ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
