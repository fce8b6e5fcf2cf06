#!/usr/bin/env bash
# The compression row (issue 20): a 200 KiB JavaScript file asked for with
# `Accept-Encoding: br, gzip`, served precompressed (app.js.br / .gz beside
# it) and compressed on the fly, by basehttp --compress, nginx (gzip_static
# on / gzip on; stock nginx has no brotli) and static-web-server
# (--compression-static / --compression), 64 keep-alive connections, the
# servers interleaved in each round. Prints a markdown table: req/s, server
# CPU µs per request, the encoding and the body size each answered with.
#
# usage: bench/compress.sh [BIN]   (default target/release/basehttp)
# env:   DUR=wrk seconds (5)  ROUNDS=rounds (3)  OUT=results dir
# needs: wrk, nginx, static-web-server, curl, gzip, python3 with `brotli`
#        (pip install brotli) to make app.js.br
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-$here/../target/release/basehttp}
DUR=${DUR:-5}
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-/tmp/basehttp-bench/compress-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
fx=$OUT/fixture
mkdir -p "$fx/pre" "$fx/fly"

# 200 KiB of real JavaScript: npm's own sources, concatenated.
python3 - "$fx/fly/app.js" <<'EOF'
import pathlib, sys
out = bytearray()
for p in sorted(pathlib.Path("/usr/lib/node_modules/npm").rglob("*.js")):
    if len(out) >= 204800:
        break
    if p.is_file() and p.stat().st_size < 65536:
        out += p.read_bytes()
open(sys.argv[1], "wb").write(out[:204800])
EOF
cp "$fx/fly/app.js" "$fx/pre/app.js"
gzip -9 -k -c "$fx/pre/app.js" > "$fx/pre/app.js.gz"
python3 -c 'import brotli,sys; d=open(sys.argv[1],"rb").read(); open(sys.argv[1]+".br","wb").write(brotli.compress(d, quality=11))' "$fx/pre/app.js"
touch -r "$fx/pre/app.js" "$fx/pre/app.js.gz" "$fx/pre/app.js.br"

nginx_conf() { # DIR PORT TMP MODE
  mkdir -p "$3"
  local z='gzip_static on;'
  [ "$4" = fly ] && z='gzip on; gzip_comp_level 6; gzip_min_length 1024; gzip_types application/javascript;'
  cat > "$3/nginx.conf" <<EOF
worker_processes 2;
pid $3/nginx.pid;
error_log $3/error.log warn;
events { worker_connections 4096; }
http {
    types { application/javascript js; }
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    $z
    server { listen 127.0.0.1:$2; root $1; }
}
EOF
  echo "$3/nginx.conf"
}

# NAME|DIR|COMMAND ({port} replaced)
specs=(
  "basehttp precompressed|pre|$BIN --compress -p HTTP/1.1 --bind 127.0.0.1 --directory $fx/pre {port}"
  "basehttp on the fly|fly|$BIN --compress -p HTTP/1.1 --bind 127.0.0.1 --directory $fx/fly {port}"
  "nginx gzip_static|pre|nginx -g 'daemon off;' -c NGINX_PRE"
  "nginx gzip on|fly|nginx -g 'daemon off;' -c NGINX_FLY"
  "static-web-server precompressed|pre|static-web-server --host 127.0.0.1 --port {port} --root $fx/pre --compression false --compression-static true --log-level error"
  "static-web-server on the fly|fly|static-web-server --host 127.0.0.1 --port {port} --root $fx/fly --compression true --log-level error"
)

cpu_ticks() { # PGID -> utime+stime of the group's processes
  local t=0 f
  for f in /proc/[0-9]*/stat; do
    read -r -a s < "$f" 2>/dev/null || continue
    # fields after the comm: s[4] is pgrp (comm has no spaces here)
    [ "${s[4]}" = "$1" ] && t=$((t + s[13] + s[14]))
  done
  echo "$t"
}

results=$OUT/results.tsv
: > "$results"
port=29100
for round in $(seq 1 "$ROUNDS"); do
  for spec in "${specs[@]}"; do
    IFS='|' read -r name dir cmd <<< "$spec"
    port=$((port + 1))
    tmp=$OUT/tmp-$port
    cmd=${cmd//\{port\}/$port}
    case $cmd in
      *NGINX_PRE*) cmd=${cmd//NGINX_PRE/$(nginx_conf "$fx/pre" "$port" "$tmp" pre)} ;;
      *NGINX_FLY*) cmd=${cmd//NGINX_FLY/$(nginx_conf "$fx/fly" "$port" "$tmp" fly)} ;;
    esac
    setsid bash -c "exec $cmd" > "$OUT/server-$port.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do
      curl -s -o /dev/null "http://127.0.0.1:$port/app.js" && break
      sleep 0.1
    done
    enc=$(curl -s -o "$OUT/body-$port" -D - -H 'Accept-Encoding: br, gzip' \
      "http://127.0.0.1:$port/app.js" | tr -d '\r' | awk -F': ' 'tolower($1)=="content-encoding"{print $2}')
    size=$(stat -c %s "$OUT/body-$port")
    wrk -t1 -c64 -d1s -H 'Accept-Encoding: br, gzip' "http://127.0.0.1:$port/app.js" > /dev/null
    t0=$(cpu_ticks "$pid")
    rps=$(wrk -t1 -c64 -d"${DUR}s" -H 'Accept-Encoding: br, gzip' "http://127.0.0.1:$port/app.js" |
      awk '/Requests\/sec/{print $2}')
    t1=$(cpu_ticks "$pid")
    kill -- -"$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    hz=$(getconf CLK_TCK)
    us=$(python3 -c "print(round(($t1-$t0)/$hz*1e6/max(1.0,$rps*$DUR),1))")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$rps" "$us" "${enc:-identity}" "$size" | tee -a "$results"
  done
done

python3 - "$results" <<'EOF' | tee "$OUT/table.md"
import csv, statistics, sys
rows = {}
for r in csv.reader(open(sys.argv[1]), delimiter="\t"):
    rows.setdefault(r[1], []).append(r)
print("| server | req/s (median) | CPU µs/req | encoding | body bytes |")
print("|---|---|---|---|---|")
for name, rs in rows.items():
    rps = statistics.median(float(r[2]) for r in rs)
    us = statistics.median(float(r[3]) for r in rs)
    print(f"| {name} | {rps:,.0f} | {us:.1f} | {rs[0][4]} | {int(rs[0][5]):,} |")
EOF
echo "results in $OUT"
