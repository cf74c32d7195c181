#!/usr/bin/env bash
# vigil-notifier vs Alertmanager 0.25 under the same alert load, in the same run on the same
# machine (issue 5's benchmark). For each server and each run, a fresh process per phase:
#
#   ingest   alerts/s accepted on POST /api/v2/alerts into 10 groups (group_by
#            [alertname, group], group_wait 1h so nothing is sent while measuring), and CPU
#            per alert;
#   notify   notifications/s delivered into many groups (group_by ['...'], group_wait 0:
#            every alert is its own group and one notification), and CPU per notification
#            (its alert's ingestion included); the webhook receiver closes each connection,
#            so every notification costs its sender a TCP connection;
#   notify_keepalive  the same with a receiver that keeps connections open, as HTTP/1.1
#            servers do;
#   latency  POST of one alert -> webhook received, p50/p99, group_wait 0, one at a time.
#
#   bench/notifier_vs_alertmanager.sh [RUNS] [SECONDS] [ALERTS] [SAMPLES]   (defaults 3 10 10000 1000)
#
# CPU is user + system from /proc/PID/stat over the measured interval (bench/alert_load.cc).
# vigil-notifier runs standalone: --storage.path in a temp dir (SQLite, as in production),
# no evaluator (--evaluator.grpc-address=none), its bus pointed at an unused port.
# Prints every run as JSON and a Markdown table of medians for docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
SECONDS_RUN=${2:-10}
ALERTS=${3:-10000}
SAMPLES=${4:-1000}
BIN=build/bin
NOTIFIER=${VIGIL_NOTIFIER:-$BIN/vigil-notifier}  # another build of it, to compare two
AM=${ALERTMANAGER:-/usr/bin/prometheus-alertmanager}
WORK=$(mktemp -d /tmp/vigil-nbench-XXXXXX)
SERVER_PID=""
trap 'stop_server; rm -rf "$WORK"' EXIT

# free_ports N: N distinct free ports (bound together, so none is handed out twice), below
# the kernel's ephemeral range (32768-) so no outbound connection can take one first.
free_ports() {
  python3 -c 'import random, socket, sys
s = []
while len(s) < int(sys.argv[1]):
    x = socket.socket()
    try:
        x.bind(("127.0.0.1", random.randrange(12000, 30000)))
        s.append(x)
    except OSError:
        x.close()
print(" ".join(str(x.getsockname()[1]) for x in s))' "$1"
}

# config GROUP_BY GROUP_WAIT RECEIVER_PORT: the same file for both servers.
config() {
  cat <<YAML
global:
  resolve_timeout: 5m
route:
  receiver: hook
  group_by: $1
  group_wait: $2
  group_interval: 1m
  repeat_interval: 24h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:$3/hook
        send_resolved: true
YAML
}

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

# start_server KIND CONFIG PORT UNUSED_PORT: starts one server, waits until it is ready.
start_server() {
  local kind=$1 cfg=$2 port=$3 unused=$4 dir
  dir=$(mktemp -d "$WORK/$kind-XXXXXX")
  if [ "$kind" = alertmanager ]; then
    "$AM" --config.file="$cfg" --storage.path="$dir" --web.listen-address="127.0.0.1:$port" \
      --cluster.listen-address= --log.level=warn > "$dir/log" 2>&1 &
  else
    "$NOTIFIER" --config.file="$cfg" --storage.path="$dir" \
      --web.listen-address="127.0.0.1:$port" --grpc.listen-address=127.0.0.1:0 \
      --bus.publish-address=tcp://127.0.0.1:0 --bus.connect="tcp://127.0.0.1:$unused" \
      --evaluator.grpc-address=none --log.level=warn > "$dir/log" 2>&1 &
  fi
  SERVER_PID=$!
  for _ in $(seq 100); do
    if curl -sf "127.0.0.1:$port/-/ready" > /dev/null; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "$kind did not start:" >&2
  cat "$dir/log" >&2
  exit 1
}

# phase KIND MODE: one fresh server, one measurement; appends a JSON line to results.
phase() {
  local kind=$1 mode=$2 port rport unused cfg args
  read -r port rport unused < <(free_ports 3)
  cfg="$WORK/$mode.yml"
  case $mode in
    ingest)
      config "[alertname, group]" 1h "$rport" > "$cfg"
      args=(--groups 10 --alerts-per-group 1000 --batch 100 --connections 2 --warmup 2
            --seconds "$SECONDS_RUN") ;;
    notify|notify_keepalive)
      config "['...']" 0s "$rport" > "$cfg"
      args=(--receiver-port "$rport" --alerts "$ALERTS" --batch 100 --connections 2
            --keep-alive "$([ "$mode" = notify ] && echo 0 || echo 1)") ;;
    latency)
      config "['...']" 0s "$rport" > "$cfg"
      args=(--receiver-port "$rport" --samples "$SAMPLES") ;;
  esac
  start_server "$kind" "$cfg" "$port" "$unused"
  local out
  out=$("$BIN/bench_alert_load" "${mode%_keepalive}" --url "http://127.0.0.1:$port" --pid "$SERVER_PID" \
        "${args[@]}")
  stop_server
  echo "{\"server\":\"$kind\",\"result\":$out}" | tee -a "$WORK/results.jsonl"
}

for run in $(seq "$RUNS"); do
  # Alternate who goes first, so drift on the shared machine does not favour one side.
  if [ $((run % 2)) -eq 1 ]; then order="alertmanager vigil"; else order="vigil alertmanager"; fi
  for mode in ingest notify notify_keepalive latency; do
    for kind in $order; do phase "$kind" "$mode"; done
  done
done

python3 - "$WORK/results.jsonl" "$RUNS" "$SECONDS_RUN" "$ALERTS" "$SAMPLES" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
runs, secs, alerts, samples = sys.argv[2:6]
def med(server, mode, key):
    v = [r["result"][key] for r in rows if r["server"] == server and r["result"]["mode"] == mode]
    return statistics.median(v)
metrics = [
    ("ingest", "alerts_per_s", "alerts/s ingested, 10 groups", "{:,.0f}", True),
    ("ingest", "cpu_us_per_alert", "CPU µs per alert ingested", "{:.1f}", False),
    ("notify", "notifications_per_s", "notifications/s, 1 alert per group", "{:,.0f}", True),
    ("notify", "cpu_us_per_notification", "CPU µs per notification (ingest included)", "{:.1f}", False),
    ("notify_keepalive", "notifications_per_s", "the same, receiver keeps connections: notifications/s", "{:,.0f}", True),
    ("notify_keepalive", "cpu_us_per_notification", "the same, receiver keeps connections: CPU µs per notification", "{:.1f}", False),
    ("latency", "p50_ms", "POST → webhook p50 (ms), group_wait 0", "{:.2f}", False),
    ("latency", "p99_ms", "POST → webhook p99 (ms), group_wait 0", "{:.2f}", False),
]
print(f"\nmedians of {runs} runs; ingest {secs}s measured after 2s warm-up; notify {alerts} alerts; latency {samples} samples")
print("| measure | Alertmanager 0.25 | vigil-notifier | vigil advantage |")
print("|---|---|---|---|")
for mode, key, label, fmt, higher_better in metrics:
    a, v = med("alertmanager", mode, key), med("vigil", mode, key)
    ratio = (v / a if higher_better else a / v) if a and v else float("nan")
    print(f"| {label} | {fmt.format(a)} | {fmt.format(v)} | {ratio:.2f}× |")
PY
