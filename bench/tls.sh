#!/usr/bin/env bash
# HTTPS benchmarks: the `basehttp` command with --tls-cert (-p HTTP/1.1)
# against nginx serving the same file with the same certificate and key
# (ECDSA P-256) and the same protocol versions (TLS 1.2 + 1.3; every client
# here negotiates TLS 1.3 with TLS_AES_256_GCM_SHA384).
#
# usage: bench/tls.sh            env: DUR=seconds per run (10), IDLE=idle
#                                     connections (1000), OUT=results dir
# needs: wrk, nginx, openssl, python3 (apt-get install -y wrk nginx openssl)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
DUR=${DUR:-10}
IDLE=${IDLE:-1000}
OUT=${OUT:-/tmp/basehttp-bench/tls-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/root" "$OUT/nginx"
ulimit -n 8192

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$OUT/key.pem" -out "$OUT/cert.pem" -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -addext basicConstraints=critical,CA:FALSE 2>/dev/null
head -c 1024 /dev/urandom > "$OUT/root/1k.bin"
(cd "$repo" && cargo build --release -p basehttp --bin basehttp)
BIN=$repo/target/release/basehttp

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.05; done; echo "port $1 never opened" >&2; exit 1; }

start_basehttp() {
  setsid "$BIN" --bind 127.0.0.1 --directory "$OUT/root" -p HTTP/1.1 \
    --tls-cert "$OUT/cert.pem" --tls-key "$OUT/key.pem" "$1" >/dev/null 2>&1 &
  echo $!
}

start_nginx() {
  local port=$1 tmp=$OUT/nginx
  cat > "$tmp/nginx.conf" <<CONF
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
events { worker_connections 4096; }
http {
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    client_body_temp_path $tmp/client_body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $OUT/cert.pem;
        ssl_certificate_key $OUT/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        root $OUT/root;
    }
}
CONF
  setsid nginx -p "$tmp" -e "$tmp/error.log" -c "$tmp/nginx.conf" -g 'daemon off;' >/dev/null 2>&1 &
  echo $!
}

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

run() {
  local name=$1 starter=$2 port pid
  port=$(free_port)
  pid=$($starter "$port")
  wait_port "$port"
  local url=https://127.0.0.1:$port/1k.bin
  curl -sf --cacert "$OUT/cert.pem" --resolve "localhost:$port:127.0.0.1" \
    "https://localhost:$port/1k.bin" | cmp - "$OUT/root/1k.bin"
  echo "== $name: keep-alive, 64 connections" | tee -a "$OUT/summary.txt"
  wrk -t1 -c64 -d"${DUR}s" --latency "$url" | tee -a "$OUT/summary.txt"
  echo "== $name: new connection per request (wrk, Connection: close), 64" | tee -a "$OUT/summary.txt"
  wrk -t1 -c64 -d"${DUR}s" --latency -H 'Connection: close' "$url" | tee -a "$OUT/summary.txt"
  echo "== $name: sequential full handshakes (openssl s_time -new)" | tee -a "$OUT/summary.txt"
  openssl s_time -connect "127.0.0.1:$port" -new -time "$DUR" -www /1k.bin -CAfile "$OUT/cert.pem" 2>&1 \
    | grep -E 'connections in|connections/user' | tee -a "$OUT/summary.txt"
  echo "== $name: $IDLE idle TLS connections" | tee -a "$OUT/summary.txt"
  python3 "$here/tls_idle.py" "$port" "$OUT/cert.pem" "$IDLE" "$pid" | tee -a "$OUT/summary.txt"
  kill -TERM -- "-$pid" 2>/dev/null || kill "$pid"
  wait "$pid" 2>/dev/null || true
}

: > "$OUT/summary.txt"
run basehttp start_basehttp
run nginx start_nginx
echo "results: $OUT/summary.txt"
