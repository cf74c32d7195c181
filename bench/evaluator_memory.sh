#!/usr/bin/env bash
# The vigil half of bench/evaluator_vs_prometheus.sh (collector -> bus -> evaluator over
# bench_static_targets --shape rollout at 1 s, no Prometheus), for the evaluator's memory:
# prints its RSS, head series, head bytes and evaluations every 10 s, then their means over
# the last 120 s, the head's bytes by part and smaps_rollup.
#
#   bench/evaluator_memory.sh [TARGETS] [SERIES_PER_TARGET] [SECONDS]   (defaults 40 500 90)
#   HEAPTRACK=1 bench/evaluator_memory.sh ...   (the evaluator under heaptrack; the work
#                                               directory, with ht.zst, is kept and printed)
#   EVALUATOR_FLAGS=--storage.head.value-coding=xor bench/evaluator_memory.sh ...
#                                               (extra evaluator flags: XOR chunks only)
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS=${1:-40} SERIES=${2:-500} SECS=${3:-90} HT=${HEAPTRACK:-} KEEP=${KEEP:-}
BIN=${BIN:-$PWD/build/bin}
WORK=$(mktemp -d /tmp/vigil-evalmem-XXXXXX)
# Below the kernel's ephemeral range, as the other bench scripts.
BASE_PORT=$((12000 + RANDOM % 18000))
# KEEP=1 keeps the work directory (logs) too.
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; [ -n "$HT$KEEP" ] || rm -rf "$WORK"' EXIT
source bench/lib/evaluator_mesh.sh
mesh_write_config
mesh_start_targets
mesh_start_collector
PRE=""
[ -n "$HT" ] && PRE="heaptrack -o $WORK/ht"
# EVALUATOR_FLAGS unquoted: each of its words a flag.
mesh_start_evaluator "$PRE" ${EVALUATOR_FLAGS:-}
sleep 3  # heaptrack starts the evaluator as its child: find it by its flags
EPID=$(pgrep -n -f "vigil-evaluator --config.file=prometheus.yml --web.listen-address=127.0.0.1:$EVAL_HTTP")
echo "work $WORK evaluator pid $EPID"
vig() { { curl -s --max-time 5 "127.0.0.1:$EVAL_HTTP/metrics" || true; } | awk -v m="$1" '$1==m {print $2}'; }
# All series start together and so close their chunks together: one instant's bytes depend
# on where the chunks are in their 120 samples. The mean over the last 120 s (a chunk's
# span at 1 s) is printed at the end as well.
MEANS=$WORK/means
for ((s=0; s<SECS; s+=10)); do
  sleep 10
  rss=$(awk '/^VmRSS/ {print $2}' /proc/$EPID/status)
  (( s + 10 > SECS - 120 )) && echo "$rss $(vig vigil_evaluator_head_bytes) $(vig vigil_evaluator_head_series)" >> "$MEANS"
  echo "t=$((s+10)) rss_kb=$rss series=$(vig vigil_evaluator_head_series) head_bytes=$(vig vigil_evaluator_head_bytes) evals=$(vig 'vigil_evaluator_rule_group_evaluations_total{trigger="data"}')/$(vig 'vigil_evaluator_rule_group_evaluations_total{trigger="early"}')/$(vig 'vigil_evaluator_rule_group_evaluations_total{trigger="timer"}') last_eval_s=$({ curl -s --max-time 5 "127.0.0.1:$EVAL_HTTP/metrics" || true; } | awk '/^vigil_evaluator_rule_group_last_duration_seconds/ {print $2}') gaps=$(vig vigil_bus_gaps_total)"
done
awk '{ r += $1 * 1024; h += $2; n += $3; k++ } END { if (k) printf "last 120 s, mean of %d samples: RSS %.1f MB (%.0f B/series), head %.1f MB (%.0f B/series)\n", k, r / k / 1e6, r / n, h / k / 1e6, h / n }' "$MEANS" || true
# The head's bytes by part (MemSeries::Bytes, the index, the selections) at the end.
{ curl -s --max-time 5 "127.0.0.1:$EVAL_HTTP/metrics" || true; } | grep '^vigil_evaluator_head_part_bytes' || true
grep -E '^(Rss|Anonymous|Private_Dirty)' /proc/$EPID/smaps_rollup || true
kill -INT $EPID; sleep 3
