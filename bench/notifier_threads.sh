#!/usr/bin/env bash
# Where vigil-notifier's CPU per notification goes, by thread, and how often each thread
# blocked (voluntary context switches) per notification (the threads are named:
# deliver, store-writer, store-ckpt, http-listen; the loop and the HTTP handlers keep the
# process name). One notify phase of bench/notifier_vs_alertmanager.sh against a fresh
# vigil-notifier, user + system ticks of each thread from /proc/PID/task/*/stat, summed by
# name. With PERF=1 it runs under `perf record --call-graph dwarf` (perf.data in the
# current directory) for `perf report --comm NAME`; PERF_OPTS replaces its sampling options
# (e.g. PERF_OPTS="-F 4000" for a flat profile with more samples).
#
#   bench/notifier_threads.sh [ALERTS]   (default 10000; KEEP_ALIVE=1: the receiver keeps
#                                         connections open, see bench/alert_load.cc)
set -euo pipefail
cd "$(dirname "$0")/.."
ALERTS=${1:-10000}
BIN=$PWD/build/bin
NOTIFIER=${VIGIL_NOTIFIER:-$BIN/vigil-notifier}  # another build of it, to compare two
WORK=$(mktemp -d /tmp/vigil-nthreads-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
read -r port rport unused < <(python3 -c 'import random, socket
s = []
while len(s) < 3:
    x = socket.socket()
    try:
        x.bind(("127.0.0.1", random.randrange(12000, 30000))); s.append(x)
    except OSError:
        x.close()
print(" ".join(str(x.getsockname()[1]) for x in s))')
cat > "$WORK/cfg.yml" <<YAML
route:
  receiver: hook
  group_by: ['...']
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 24h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:$rport/hook
        send_resolved: true
YAML
PRE=()
if [ "${PERF:-0}" = 1 ]; then read -r -a OPTS <<< "${PERF_OPTS:--F 700 --call-graph dwarf,16384}"
  PRE=(perf record "${OPTS[@]}" -o perf.data --); fi
"${PRE[@]}" "$NOTIFIER" --config.file="$WORK/cfg.yml" --storage.path="$WORK/st" \
  --web.listen-address="127.0.0.1:$port" --grpc.listen-address=127.0.0.1:0 \
  --bus.publish-address=tcp://127.0.0.1:0 --bus.connect="tcp://127.0.0.1:$unused" \
  --evaluator.grpc-address=none --log.level=warn > "$WORK/log" 2>&1 &
LAUNCHED=$!
for _ in $(seq 100); do curl -sf "127.0.0.1:$port/-/ready" > /dev/null && break; sleep 0.1; done
if [ "${PERF:-0}" = 1 ]; then PID=$(pgrep -x -P "$LAUNCHED" vigil-notifier); else PID=$LAUNCHED; fi
snap() {  # tid, name, CPU ticks, voluntary context switches
  for t in /proc/"$PID"/task/*; do
    echo "$(basename "$t") $(tr ' ' _ < "$t/comm") $(awk '{print $14 + $15}' "$t/stat")" \
      "$(awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status")"
  done | sort
}
written() { awk '/^write_bytes/ {print $2}' /proc/"$PID"/io; }  # to files (WAL, database)
snap > "$WORK/before"
wrote_before=$(written)
"$BIN/bench_alert_load" notify --url "http://127.0.0.1:$port" --pid "$PID" --receiver-port "$rport" \
  --alerts "$ALERTS" --batch 100 --connections 2 --keep-alive "${KEEP_ALIVE:-0}"
snap > "$WORK/after"
echo "file bytes written per notification: $(( ($(written) - wrote_before) / ALERTS ))"
grep -E '^(VmHWM|VmRSS)' /proc/"$PID"/status | tr -s ' \t' ' ' | paste -sd' '
kill -INT "$PID"
wait "$LAUNCHED" || true
hz=$(getconf CLK_TCK)
join -a2 -e0 -o 2.2,1.3,2.3,1.4,2.4 "$WORK/before" "$WORK/after" |
  awk -v n="$ALERTS" -v hz="$hz" '{d[$1] += $3 - $2; c[$1] += $5 - $4}
    END {for (k in d) if (d[k] > 0) printf "%-16s %6.1f us/notification %6.2f switches/notification\n", k, d[k] * 1e6 / hz / n, c[k] / n}' |
  sort -k2 -n -r
