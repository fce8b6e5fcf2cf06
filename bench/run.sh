#!/usr/bin/env bash
# basehttp benchmarks next to CPython, nginx and (if installed) miniserve and
# static-web-server. Reuses the shared wrk harness (bench.sh) for the
# throughput scenarios and bench/crowd.py for the idle/slowloris crowds.
#
# usage: bench/run.sh [dynamic] [static] [crowd]     (default: all three)
#        bench/run.sh table    the issue-13 table: every row beside nginx,
#                              lighttpd and static-web-server in ONE bench.sh
#                              run, then bench/chart.py (markdown + SVG chart)
# env:   PERF=dir of the shared harness (default ../shared/perf, beside the repository)
#        DUR=wrk seconds per run (5)  ROUNDS=rounds (1)  OUT=results dir
#        IDLE=idle connections (10000)  SLOW=slowloris connections (500)
# needs: wrk, nginx, curl, python3 (apt-get install -y wrk nginx curl)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
PERF=${PERF:-$(cd "$(dirname "$0")/../.." && pwd)/shared/perf}
DUR=${DUR:-5}
ROUNDS=${ROUNDS:-1}
IDLE=${IDLE:-10000}
SLOW=${SLOW:-500}
OUT=${OUT:-/tmp/basehttp-bench/$(date +%Y%m%d-%H%M%S)}
parts=${*:-dynamic static crowd}
mkdir -p "$OUT"

(cd "$repo" && cargo build --release -p examples --example bench_hello -p basehttp --bin basehttp)
HELLO=$repo/target/release/examples/bench_hello
BIN=$repo/target/release/basehttp

if [[ $parts == *dynamic* ]]; then
  "$PERF/bench.sh" -d "$DUR" -w 1 -r "$ROUNDS" -o "$OUT/dynamic" \
    -s hello_ka,hello_close,hello_c1000 \
    "python-hello|dynamic|python3 {here}/hello_server.py {port}" \
    "basehttp-hello|dynamic|$HELLO {port}" \
    "basehttp-hello-quiet|dynamic|$HELLO {port} --quiet" \
    "nginx-return|dynamic|{here}/run-nginx.sh {port} {root} {tmp} hello"
fi

if [[ $parts == *static* ]]; then
  peers=()
  command -v miniserve >/dev/null &&
    peers+=("miniserve|static|miniserve --interfaces 127.0.0.1 --port {port} {root}")
  command -v static-web-server >/dev/null &&
    peers+=("static-web-server|static|static-web-server --host 127.0.0.1 --port {port} --root {root} --directory-listing true --log-level error")
  "$PERF/bench.sh" -d "$DUR" -w 1 -r "$ROUNDS" -o "$OUT/static" \
    -s static_ka,static_close,big,dirlist,c1000 \
    "python-http.server|static|python3 -m http.server --bind 127.0.0.1 --directory {root} {port}" \
    "python-http.server-1.1|static|python3 -m http.server --bind 127.0.0.1 --directory {root} --protocol HTTP/1.1 {port}" \
    "basehttp|static|$BIN --bind 127.0.0.1 --directory {root} {port}" \
    "basehttp-1.1|static|$BIN --bind 127.0.0.1 --directory {root} --protocol HTTP/1.1 {port}" \
    "nginx|static|{here}/run-nginx.sh {port} {root} {tmp} static" \
    "${peers[@]}"
fi

if [[ $parts == *table* ]]; then
  peers=()
  command -v static-web-server >/dev/null &&
    peers+=("static-web-server|static|static-web-server --host 127.0.0.1 --port {port} --root {root} --directory-listing true --log-level error")
  # As root, basehttp runs CGI scripts as nobody (CPython's rule), which
  # costs a fork per script; the same binary started as nobody shows the
  # spawn without the uid change.
  [ "$(id -u)" = 0 ] &&
    peers+=("basehttp-cgi-user|cgi|setpriv --reuid=65534 --regid=65534 --clear-groups $BIN --cgi --bind 127.0.0.1 --directory {root} {port}")
  "$PERF/bench.sh" -d "$DUR" -w 1 -r "$ROUNDS" -o "$OUT/table" \
    -s static_ka,c1000,static_close,big_rx,dirlist,hello_ka,hello_c1000,hello_close,cgi \
    "basehttp-1.1|static|$BIN --bind 127.0.0.1 --directory {root} --protocol HTTP/1.1 {port}" \
    "nginx|static|{here}/run-nginx.sh {port} {root} {tmp} static" \
    "lighttpd|static|{here}/run-lighttpd.sh {port} {root} {tmp}" \
    "${peers[@]}" \
    "basehttp-hello|dynamic|$HELLO {port}" \
    "basehttp-hello-quiet|dynamic|$HELLO {port} --quiet" \
    "nginx-return|dynamic|{here}/run-nginx.sh {port} {root} {tmp} hello" \
    "basehttp-cgi|cgi|$BIN --cgi --bind 127.0.0.1 --directory {root} {port}" \
    "lighttpd-cgi|cgi|{here}/run-lighttpd.sh {port} {root} {tmp} cgi"
  python3 "$here/chart.py" "$OUT/table/results.jsonl" --svg "$OUT/table/ratios.svg" --md "$OUT/table/table.md"
fi

if [[ $parts == *crowd* ]]; then
  crowd() { python3 "$here/crowd.py" --json "$OUT/crowd.jsonl" "$@"; }
  for mode in "--idle $IDLE" "--slowloris $SLOW"; do
    # shellcheck disable=SC2086
    {
      crowd $mode --duration 8 --name basehttp-hello -- "$HELLO {port} --quiet --keepalive 120"
      crowd $mode --duration 8 --name python-hello -- "python3 $PERF/hello_server.py {port}"
      crowd $mode --duration 8 --name nginx-return -- "$PERF/run-nginx.sh {port} /tmp {tmp} hello"
    }
  done
fi
echo "results in $OUT"
