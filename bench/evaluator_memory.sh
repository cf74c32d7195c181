#!/usr/bin/env bash
# The vigil half of bench/evaluator_vs_prometheus.sh (collector -> bus -> evaluator over
# bench_static_targets --shape rollout at 1 s, no Prometheus), for the evaluator's memory:
# prints its RSS, head series, head bytes and evaluations every 10 s, then smaps_rollup.
#
#   bench/evaluator_memory.sh [TARGETS] [SERIES_PER_TARGET] [SECONDS]   (defaults 40 500 90)
#   HEAPTRACK=1 bench/evaluator_memory.sh ...   (the evaluator under heaptrack; the work
#                                               directory, with ht.zst, is kept and printed)
#   EVALUATOR_FLAGS=--storage.head.value-coding=xor bench/evaluator_memory.sh ...
#                                               (extra evaluator flags: XOR chunks only)
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS=${1:-40} SERIES=${2:-500} SECS=${3:-90} HT=${HEAPTRACK:-} KEEP=${KEEP:-}
BIN=$PWD/build/bin
WORK=$(mktemp -d /tmp/vigil-evalmem-XXXXXX)
# Below the kernel's ephemeral range, as the other bench scripts.
BASE_PORT=$((12000 + RANDOM % 18000))
# KEEP=1 keeps the work directory (logs) too.
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; [ -n "$HT$KEEP" ] || rm -rf "$WORK"' EXIT
targets=""
for i in $(seq 0 "$TARGETS"); do targets="$targets'127.0.0.1:$((BASE_PORT + i))',"; done
cp bench/rollout_rules.yml "$WORK/"
cat > "$WORK/prometheus.yml" <<YAML
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 5s}
rule_files: [rollout_rules.yml]
scrape_configs:
  - job_name: rollout
    static_configs: [{targets: [${targets%,}]}]
YAML
"$BIN/bench_static_targets" --base-port "$BASE_PORT" --targets "$TARGETS" --series "$SERIES" --shape rollout 2>/dev/null &
sleep 1
COLL_HTTP=$((BASE_PORT - 2)) EVAL_HTTP=$((BASE_PORT - 3)) BUS_PORT=$((BASE_PORT - 4))
(cd "$WORK" && exec "$BIN/vigil-collector" --config.file=prometheus.yml \
   --web.listen-address=127.0.0.1:$COLL_HTTP --grpc.listen-address=127.0.0.1:0 \
   --bus.publish-address=tcp://127.0.0.1:$BUS_PORT > collector.log 2>&1) &
PRE=""
[ -n "$HT" ] && PRE="heaptrack -o $WORK/ht"
(cd "$WORK" && exec $PRE "$BIN/vigil-evaluator" --config.file=prometheus.yml \
   --web.listen-address=127.0.0.1:$EVAL_HTTP --grpc.listen-address=127.0.0.1:0 \
   --bus.publish-address=tcp://127.0.0.1:0 --bus.connect=tcp://127.0.0.1:$BUS_PORT \
   --storage.path=eval --rules.alert.resend-delay=1s ${EVALUATOR_FLAGS:-} > evaluator.log 2>&1) &
sleep 3  # heaptrack starts the evaluator as its child: find it by its flags
EPID=$(pgrep -n -f "vigil-evaluator --config.file=prometheus.yml --web.listen-address=127.0.0.1:$EVAL_HTTP")
echo "work $WORK evaluator pid $EPID"
vig() { { curl -s --max-time 5 "127.0.0.1:$EVAL_HTTP/metrics" || true; } | awk -v m="$1" '$1==m {print $2}'; }
for ((s=0; s<SECS; s+=10)); do
  sleep 10
  rss=$(awk '/^VmRSS/ {print $2}' /proc/$EPID/status)
  echo "t=$((s+10)) rss_kb=$rss series=$(vig vigil_evaluator_head_series) head_bytes=$(vig vigil_evaluator_head_bytes) evals=$(vig 'vigil_evaluator_rule_group_evaluations_total{trigger="data"}')"
done
grep -E '^(Rss|Anonymous|Private_Dirty)' /proc/$EPID/smaps_rollup || true
kill -INT $EPID; sleep 3
