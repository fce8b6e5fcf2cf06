#!/usr/bin/env bash
# Runs the `basehttp` command over HTTPS behind a plain-to-TLS socat front,
# so plain-HTTP tools (the shared reliability battery) exercise the TLS
# server: client --HTTP--> socat :PORT --TLS--> basehttp --tls-cert :PORT2.
#
# usage: bench/tls-front.sh PORT ROOT [basehttp flags...]
# e.g.:  python3 battery.py --cmd 'bench/tls-front.sh {port} {root}'
# needs: socat, openssl
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port=$1 root=$2
shift 2
BIN=${BIN:-$(dirname "$here")/target/release/basehttp}
tmp=$(mktemp -d)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -addext basicConstraints=critical,CA:FALSE 2>/dev/null
inner=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Same process group: whoever stops this script's group stops both.
"$BIN" --bind 127.0.0.1 --directory "$root" --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" "$@" "$inner" &
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$inner") 2>/dev/null && break; sleep 0.05; done
exec socat -T 60 "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,backlog=1024" \
  "OPENSSL:127.0.0.1:$inner,cafile=$tmp/cert.pem,commonname=localhost"
