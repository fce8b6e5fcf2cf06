#!/usr/bin/env bash
# basehttp benchmarks next to CPython, nginx and (if installed) miniserve and
# static-web-server. Reuses the shared wrk harness (bench.sh) for the
# throughput scenarios and bench/crowd.py for the crowds.
#
# usage: bench/run.sh [dynamic] [static] [crowd] [availability]
#                            (default: dynamic static crowd)
#        bench/run.sh table    the issue-13 table: every row beside nginx,
#                              lighttpd and static-web-server in ONE bench.sh
#                              run, then bench/chart.py (markdown + SVG chart)
#        availability          issue 19: READERS slow readers of a 64 MiB
#                              file, BLOCKED handlers sleeping 3 s, UPLOADS
#                              slow uploads to a CGI script, each beside a
#                              normal client, against every build in BUILDS,
#                              CPython and nginx (slow readers only) ->
#                              $OUT/availability.jsonl + availability.md + .svg
# env:   PERF=dir of the shared harness (default ../shared/perf, beside the repository)
#        DUR=wrk seconds per run (5)  ROUNDS=rounds (1)  OUT=results dir
#        IDLE=idle connections (10000)  SLOW=slowloris connections (500)
#        BUILDS="LABEL=DIR ..." basehttp builds to measure (default: build
#               this tree, label basehttp); each DIR holds the basehttp
#               command and bench_hello (or examples/bench_hello, so a
#               target/release dir works). The first one is used by the
#               other parts. Example, two builds side by side:
#               BUILDS="f148edc=/work/bench-bin/f148edc-sleep new=/work/main/target/release"
#        READERS (1000) BLOCKED (500) UPLOADS (200) ADUR=normal client
#               seconds per availability run (10)
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


READERS=${READERS:-1000}
BLOCKED=${BLOCKED:-500}
UPLOADS=${UPLOADS:-200}
ADUR=${ADUR:-10}
if [ -z "${BUILDS:-}" ]; then
  (cd "$repo" && nice -n 10 cargo build --release -p examples --example bench_hello -p basehttp --bin basehttp)
  BUILDS="basehttp=${CARGO_TARGET_DIR:-$repo/target}/release"
fi
# LABEL=DIR -> BUILD_LABELS, BUILD_BINS (basehttp), BUILD_HELLOS (bench_hello)
BUILD_LABELS=() BUILD_BINS=() BUILD_HELLOS=()
for b in $BUILDS; do
  d=${b#*=}
  h=$d/bench_hello; [ -x "$h" ] || h=$d/examples/bench_hello
  [ -x "$d/basehttp" ] && [ -x "$h" ] || { echo "BUILDS: $d lacks basehttp or bench_hello" >&2; exit 2; }
  BUILD_LABELS+=("${b%%=*}") BUILD_BINS+=("$d/basehttp") BUILD_HELLOS+=("$h")
done
HELLO=${BUILD_HELLOS[0]}
BIN=${BUILD_BINS[0]}

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
    "nginx-log|static|{here}/run-nginx-log.sh {port} {root} {tmp} static" \
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
if [[ $parts == *availability* ]]; then
  # 1,000 client sockets here, and per slow reader a socket and an open file
  # in the server (which inherits this limit through crowd.py).
  need=$((2 * READERS + 1024))
  [ "$(ulimit -Sn)" -ge "$need" ] || ulimit -Sn "$(ulimit -Hn)"
  [ "$(ulimit -Sn)" -ge "$need" ] || ulimit -n "$need" 2>/dev/null || {
    echo "ulimit -n is $(ulimit -Sn) (hard $(ulimit -Hn)); $need needed: raise the hard limit (as root: ulimit -Hn $need)" >&2
    exit 2
  }
  {
    echo "date: $(date -Is)"; echo "host: $(uname -srm)"; echo "nproc: $(nproc)"
    echo "loadavg at start: $(cat /proc/loadavg)"
    echo "ulimit -n: $(ulimit -Sn)  ulimit -u: $(ulimit -u)  threads-max: $(cat /proc/sys/kernel/threads-max)"
    echo "python: $(python3 --version 2>&1)  nginx: $(nginx -v 2>&1)"
    echo "READERS=$READERS BLOCKED=$BLOCKED UPLOADS=$UPLOADS ADUR=$ADUR"
    for i in "${!BUILD_LABELS[@]}"; do
      echo "build ${BUILD_LABELS[$i]}: ${BUILD_BINS[$i]} ($(sha256sum < "${BUILD_BINS[$i]}" | cut -c1-12))," \
        "${BUILD_HELLOS[$i]} ($(sha256sum < "${BUILD_HELLOS[$i]}" | cut -c1-12))"
    done
  } > "$OUT/availability-env.txt"
  AJ=$OUT/availability.jsonl
  touch "$AJ"
  # One crowd.py run, bounded twice: by crowd.py's own budgets (open 20 s,
  # ADUR, blocked answers 30 s) and by timeout(1), whose TERM crowd.py turns
  # into killing the server. A run that leaves no line gets an error line.
  acrowd() { # NAME KIND-ARGS COMMAND
    local name=$1 args=$2 cmd=$3 n0 n1
    n0=$(wc -l < "$AJ")
    echo "[$(date +%T)] $name $args" >&2
    # shellcheck disable=SC2086
    timeout -k 10 240 python3 "$here/crowd.py" $args --duration "$ADUR" \
      --name "$name" --json "$AJ" -- "$cmd" > /dev/null || true
    n1=$(wc -l < "$AJ")
    [ "$n1" -gt "$n0" ] ||
      echo "{\"server\": \"$name\", \"scenario\": \"$args\", \"error\": \"crowd.py left no result\"}" >> "$AJ"
    sleep 1   # let the sockets of the run drain
  }
  for i in "${!BUILD_LABELS[@]}"; do
    acrowd "${BUILD_LABELS[$i]}" "--slow-readers $READERS --file /big.bin --file-size 64" \
      "${BUILD_BINS[$i]} --bind 127.0.0.1 --directory {root} {port}"
  done
  acrowd python-http.server "--slow-readers $READERS --file /big.bin --file-size 64" \
    "python3 -m http.server --bind 127.0.0.1 --directory {root} {port}"
  acrowd nginx "--slow-readers $READERS --file /big.bin --file-size 64" \
    "$PERF/run-nginx.sh {port} {root} {tmp} static"
  for i in "${!BUILD_LABELS[@]}"; do
    acrowd "${BUILD_LABELS[$i]}-hello" "--blocked $BLOCKED --block-path /sleep" \
      "${BUILD_HELLOS[$i]} {port} --quiet"
  done
  acrowd python-sleep "--blocked $BLOCKED --block-path /sleep" "python3 $here/sleep_server.py {port}"
  for i in "${!BUILD_LABELS[@]}"; do
    acrowd "${BUILD_LABELS[$i]}-cgi" "--slow-uploads $UPLOADS --upload-path /cgi-bin/upload.sh" \
      "${BUILD_BINS[$i]} --cgi --bind 127.0.0.1 --directory {root} {port}"
  done
  acrowd python-http.server-cgi "--slow-uploads $UPLOADS --upload-path /cgi-bin/upload.sh" \
    "python3 -m http.server --cgi --bind 127.0.0.1 --directory {root} {port}"
  echo "loadavg at end: $(cat /proc/loadavg)" >> "$OUT/availability-env.txt"
  python3 "$here/availability_table.py" "$AJ" | tee "$OUT/availability.md"
  python3 "$here/availability_chart.py" "$AJ" > "$OUT/availability.svg"
fi
echo "results in $OUT"
