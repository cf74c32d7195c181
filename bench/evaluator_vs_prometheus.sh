#!/usr/bin/env bash
# The ~50-rule rollout group (bench/rollout_rules.yml, interval 5s) over the same scraped
# series, Prometheus 2.42 against the vigil mesh (vigil-collector -> bus -> vigil-evaluator),
# both scraping bench_static_targets --shape rollout at 1 s in the same run on the same
# machine. One extra target points at a closed port, so TargetDown (`up == 0`) fires; so
# does CanaryErrorRatioHigh (canary targets fail 12.5%).
#
#   bench/evaluator_vs_prometheus.sh [TARGETS] [SERIES_PER_TARGET] [SECONDS] [WARMUP]
#                                    (defaults 200 500 60 70: 100k series)
#   MODE=interval bench/evaluator_vs_prometheus.sh ...   (vigil on the 5s timer only, as
#                                    Prometheus; default MODE=event: on every scrape round)
#   SEQUENTIAL=1 bench/evaluator_vs_prometheus.sh ...   (Prometheus alone first, then the vigil
#                                    mesh alone, on the same targets in the same run: at 100k
#                                    series both at once overload a 2-core machine)
#   SEQUENTIAL=vigil bench/evaluator_vs_prometheus.sh ...   (the vigil mesh alone, for
#                                    comparing vigil builds; no Prometheus figures)
#
# Measures over SECONDS after WARMUP (the [1m] rates need a minute of data):
# - group evaluation duration: every new value of Prometheus's
#   prometheus_rule_group_last_duration_seconds (one per evaluation, seen through
#   prometheus_rule_group_last_evaluation_timestamp_seconds) and of vigil's
#   vigil_evaluator_rule_group_last_duration_seconds (seen through
#   vigil_evaluator_rule_group_evaluations_total), polled every 0.5 s: median and p99;
# - resident memory per active series: VmRSS / head series; Prometheus's RSS holds scraping,
#   the TSDB head (2 h of samples, here only the run's), WAL buffers and rule evaluation;
#   vigil's is collector + evaluator RSS (scraping, bus, the evaluator's window of
#   retention = longest rule range + margin, rule evaluation);
# - vigil's sample -> alert-event latency from vigil_evaluator_sample_to_alert_event_seconds
#   (the evaluator runs with --rules.alert.resend-delay=1s, so firing alerts are re-sent on
#   each evaluation and every evaluation gives an observation; Prometheus's default is 1m).
# Prints Markdown for docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS=${1:-200}
SERIES=${2:-500}
SECONDS_RUN=${3:-60}
WARMUP=${4:-70}
BIN=$PWD/build/bin
WORK=$(mktemp -d /tmp/vigil-evalbench-XXXXXX)
# Below the kernel's ephemeral range (32768-), which the scrapers' own connections use.
BASE_PORT=$((12000 + RANDOM % 18000))
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

source bench/lib/evaluator_mesh.sh
mesh_write_config
mesh_start_targets
PROM_PORT=$((BASE_PORT - 1))
PROM_PID="" COLL_PID="" EVAL_PID=""
p_cpu0=0 p_cpu1=0 c_cpu0=0 c_cpu1=0 e_cpu0=0 e_cpu1=0 p_missed0=0 p_missed1=0
p_series=0 v_series=0 p_rss=0 c_rss=0 e_rss=0 p_firing=- v_firing=-

cpu() { [ -n "$1" ] && awk '{print ($14 + $15) / 100}' "/proc/$1/stat" || echo 0; }
rss() { [ -n "$1" ] && awk '/^VmRSS/ {print $2 * 1024}' "/proc/$1/status" || echo 0; }
# The value of one series (a prefix of the metric line, labels included) or the sum of all
# series of a metric name; empty when the server does not answer in time (polled again).
metric() {
  { curl -s --max-time 5 "127.0.0.1:$1/metrics" || true; } |
    awk -v m="$2" 'index($1, m) == 1 && (length($1) == length(m) || substr($1, length(m) + 1, 1) == "{") {s += $2} END {printf "%.9g", s}'
}
prom() { metric $PROM_PORT "$1"; }
vig() { metric $EVAL_HTTP "$1"; }

start_prometheus() {
  (cd "$WORK" && exec prometheus --config.file=prometheus.yml --storage.tsdb.path=data \
     --web.listen-address=127.0.0.1:$PROM_PORT > prom.log 2>&1) &
  PROM_PID=$!
}
start_vigil() {
  mesh_start_collector
  mesh_start_evaluator "" --rules.evaluation-mode="${MODE:-event}"
}
check_alive() {
  local pid
  for pid in "$@"; do
    if [ ! -e "/proc/$pid/stat" ]; then echo "process $pid died" >&2; for f in "$WORK"/*.log; do echo "== $f" >&2; tail -n 5 "$f" >&2; done; exit 1; fi
  done
}

# Measures whichever of the two stacks run (their PIDs set) over SECONDS_RUN; the values are
# left in the variables the report below reads.
: > "$WORK/prom_durations"; : > "$WORK/vigil_durations"
measure() {
  local p_on=$1 v_on=$2 ts n last_p="" last_v="" end
  if [ "$p_on" = 1 ]; then
    p_cpu0=$(cpu $PROM_PID); p_missed0=$(prom prometheus_rule_group_iterations_missed_total)
  fi
  if [ "$v_on" = 1 ]; then
    c_cpu0=$(cpu $COLL_PID); e_cpu0=$(cpu $EVAL_PID)
    { curl -s --max-time 10 "127.0.0.1:$EVAL_HTTP/metrics" || true; } | { grep '^vigil_evaluator_sample_to_alert_event_seconds' || true; } > "$WORK/hist0"
  fi
  end=$((SECONDS + SECONDS_RUN))
  while [ $SECONDS -lt $end ]; do
    if [ "$p_on" = 1 ]; then
      ts=$(prom prometheus_rule_group_last_evaluation_timestamp_seconds)
      if [ "$ts" != "$last_p" ]; then
        [ -n "$last_p" ] && prom prometheus_rule_group_last_duration_seconds >> "$WORK/prom_durations" && echo >> "$WORK/prom_durations"
        last_p=$ts
      fi
    fi
    if [ "$v_on" = 1 ]; then
      n=$(vig vigil_evaluator_rule_group_evaluations_total)
      if [ "$n" != "$last_v" ]; then
        [ -n "$last_v" ] && vig vigil_evaluator_rule_group_last_duration_seconds >> "$WORK/vigil_durations" && echo >> "$WORK/vigil_durations"
        last_v=$n
      fi
    fi
    sleep 0.5
  done
  if [ "$p_on" = 1 ]; then
    p_cpu1=$(cpu $PROM_PID); p_missed1=$(prom prometheus_rule_group_iterations_missed_total)
    p_series=$(prom prometheus_tsdb_head_series); p_rss=$(rss $PROM_PID)
    p_firing=$(firing $PROM_PORT | tr ' ' ,)
  fi
  if [ "$v_on" = 1 ]; then
    c_cpu1=$(cpu $COLL_PID); e_cpu1=$(cpu $EVAL_PID)
    { curl -s --max-time 10 "127.0.0.1:$EVAL_HTTP/metrics" || true; } | { grep '^vigil_evaluator_sample_to_alert_event_seconds' || true; } > "$WORK/hist1"
    v_series=$(vig vigil_evaluator_head_series)
    c_rss=$(rss $COLL_PID); e_rss=$(rss $EVAL_PID)
    v_firing=$(firing $EVAL_HTTP | tr ' ' ,)
  fi
}

firing() {  # "?" when the API does not answer in time (an evaluator busy for seconds)
  { curl -s --max-time 10 "127.0.0.1:$1/api/v1/alerts" || true; } | python3 -c 'import collections, json, sys
try:
    a = json.load(sys.stdin)["data"]["alerts"]
except Exception:
    print("?"); sys.exit()
c = collections.Counter(x["labels"]["alertname"] for x in a if x["state"] == "firing")
print(" ".join(f"{k}:{v}" for k, v in sorted(c.items())) or "none")'
}
if [ "${SEQUENTIAL:-0}" = vigil ]; then
  start_vigil
  sleep "$WARMUP"; check_alive $COLL_PID $EVAL_PID
  measure 0 1
elif [ "${SEQUENTIAL:-0}" = 1 ]; then
  # One stack at a time on the same targets: at 100k series both at once overload 2 cores.
  start_prometheus
  sleep "$WARMUP"; check_alive $PROM_PID
  measure 1 0
  kill $PROM_PID; wait $PROM_PID 2>/dev/null || true
  start_vigil
  sleep "$WARMUP"; check_alive $COLL_PID $EVAL_PID
  measure 0 1
else
  start_prometheus
  start_vigil
  sleep "$WARMUP"; check_alive $PROM_PID $COLL_PID $EVAL_PID
  measure 1 1
fi

python3 - "$WORK" "$TARGETS" "$SERIES" "$SECONDS_RUN" "$WARMUP" \
  "$p_cpu0" "$p_cpu1" "$c_cpu0" "$c_cpu1" "$e_cpu0" "$e_cpu1" "$p_missed0" "$p_missed1" \
  "$p_series" "$v_series" "$p_rss" "$c_rss" "$e_rss" "$p_firing" "$v_firing" <<'PY'
import re, sys
work, targets, series, secs, warm = sys.argv[1:6]
(p0, p1, c0, c1, e0, e1, m0, m1, ps, vs, prss, crss, erss) = map(float, sys.argv[6:19])
pf, vf = sys.argv[19:21]
def durations(name):
    return sorted(float(x) for x in open(f"{work}/{name}").read().split())
def q(xs, p):
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")
def hist(name):
    b = {}
    for line in open(f"{work}/{name}"):
        m = re.match(r'vigil_evaluator_sample_to_alert_event_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
        if m: b[float(m.group(1))] = float(m.group(2))
    return b
h0, h1 = hist("hist0"), hist("hist1")
delta = sorted((le, h1[le] - h0.get(le, 0)) for le in h1)
total = delta[-1][1] if delta else 0
def hq(p):  # the bucket upper bound holding the p-quantile (Prometheus would interpolate)
    prev = 0
    for le, c in delta:
        if total and c >= p * total:
            return f"<= {le * 1e3:g} ms" if le != float("inf") else f"> {prev * 1e3:g} ms"
        prev = le
    return "n/a"
pd, vd = durations("prom_durations"), durations("vigil_durations")
import os
together = {"1": "one after the other (SEQUENTIAL=1)", "vigil": "vigil alone (SEQUENTIAL=vigil)"}.get(
    os.environ.get("SEQUENTIAL", ""), "at once")
def per(a, b):
    return f"{a / b:.0f}" if b else "n/a"
print(f"mode {os.environ.get('MODE', 'event')}: {int(targets)} targets x {series} series (+1 target down) scraped at 1s by both, {together}; "
      f"{secs}s measured after {warm}s warm-up")
print()
print("| | Prometheus 2.42 | vigil (collector + evaluator) |")
print("|---|---|---|")
print(f"| group evaluations seen | {len(pd)} (iterations missed: {m1 - m0:.0f}) | {len(vd)} |")
print(f"| group evaluation, median | {q(pd, .5):.3f} s | {q(vd, .5):.3f} s |")
print(f"| group evaluation, p99 (max) | {q(pd, .99):.3f} s | {q(vd, .99):.3f} s |")
print(f"| CPU-seconds in the window | {p1 - p0:.1f} | {c1 - c0:.1f} + {e1 - e0:.1f} |")
print(f"| active series (head) | {ps:.0f} | {vs:.0f} |")
print(f"| RSS | {prss / 1e6:.0f} MB | {crss / 1e6:.0f} + {erss / 1e6:.0f} MB |")
print(f"| RSS per active series | {per(prss, ps)} B | {per(crss + erss, vs)} B (evaluator alone {per(erss, vs)} B) |")
print(f"| firing alerts at the end | {pf.replace(',', ' ')} | {vf.replace(',', ' ')} |")
print()
print(f"vigil sample -> alert-event latency ({total:.0f} observations in the window): "
      f"p50 {hq(.5)}, p99 {hq(.99)} (histogram bucket bounds)")
PY
