#!/usr/bin/env bash
# Sample -> alert latency at deployment scale, vigil (collector -> evaluator -> notifier)
# against Prometheus 2.42 + Alertmanager 0.25, in the same run on the same machine, both
# scraping the same targets at 1 s and evaluating the same rules at 1 s.
#
#   bench/alert_latency.sh [CYCLES] [ON_SECONDS] [OFF_SECONDS] [STATIC_TARGETS] [SERIES_PER_TARGET]
#                          (defaults 6 10 15 4 100: ~450 series, ~3.5 min)
#   LAYOUT=split bench/alert_latency.sh ...  (each measured alert in a rule group of its own;
#                          default LAYOUT=one: all rules in one group, as a rollout rule file)
#   MODE=interval bench/alert_latency.sh ... (vigil on the 1s timer only, as Prometheus;
#                          default MODE=event: a group as soon as all the series it reads
#                          have fresh samples)
#   WARMUP=25 (seconds before the first switch)
#   EVAL_FLAGS="--rules.early-evaluation-budget=0" (more vigil-evaluator flags)
#
# Targets: vigil-demo-exporter (46 series, scraped as 4 jobs: genesis + its 3 dependencies
# on their own paths, as examples/phase5) and bench_static_targets --shape rollout
# (STATIC_TARGETS x SERIES_PER_TARGET, every 10th target a canary) plus one closed port.
# Rules (one group, interval 1s, every alert `for: 0s`): DependencyDown (`up == 0`),
# SystemHealthLow (a gauge threshold), RAGErrorRatioHigh (error ratio of rate()s over
# [15s]), and over the static targets CanaryErrorRatioHigh, TargetDown and three recording
# rules (these fire from the start: load, not measured).
#
# After a warm-up, the script switches the demo exporter to `service_down` (POST
# /api/scenario) for ON_SECONDS and back to `healthy` for OFF_SECONDS, CYCLES times. Under
# service_down the memory_store dependency answers 503 (up = 0), genesis_system_health
# drops from ~98.6 to 91.5 and the error ratio rises from 0.02% to 0.5%. One python
# receiver records the arrival time of every webhook (Alertmanager and vigil-notifier both:
# group_by [alertname], group_wait 0s, group_interval 1s).
#
# Measured per firing (the first webhook that carries a firing alert with a new startsAt):
# - e2e_ms, for DependencyDown and SystemHealthLow: webhook arrival - the scrape timestamp
#   of the first sample after the switch on which the condition holds (up == 0,
#   health < 95), read back from each system's own storage (/api/v1/query of a range
#   selector: raw samples);
# - e2e_ms for RAGErrorRatioHigh, where no single sample makes a rate ratio cross: webhook
#   arrival - the scrape timestamp of the last genesis sample at or before the alert's
#   startsAt (the evaluation that first found it true);
# - startsat_ms: webhook arrival - the alert's startsAt (evaluation -> webhook);
# and vigil's own vigil_evaluator_sample_to_alert_event_seconds over the measured window
# (bucket deltas; the quantile is the upper bound of the bucket that holds it, as the
# other scripts, plus a linear interpolation inside it, as histogram_quantile).
# Prints one JSON line per firing, a JSON summary line and a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
CYCLES=${1:-6} ON=${2:-10} OFF=${3:-15} TARGETS=${4:-4} SERIES=${5:-100}
WARMUP=${WARMUP:-25}
BIN=$PWD/build/bin
WORK=$(mktemp -d /tmp/vigil-alertlat-XXXXXX)
# Below the kernel's ephemeral range (32768-), which the scrapers' own connections use.
BASE_PORT=$((12000 + RANDOM % 18000))
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

DEMO=$((BASE_PORT - 1)) PROM=$((BASE_PORT - 2)) AM=$((BASE_PORT - 3)) COLL=$((BASE_PORT - 4))
EVAL=$((BASE_PORT - 5)) NOTIF=$((BASE_PORT - 6)) BUS_C=$((BASE_PORT - 7)) BUS_E=$((BASE_PORT - 8))
RECV=$((BASE_PORT - 9)) EVAL_GRPC=$((BASE_PORT - 10))
targets=""
for i in $(seq 0 "$TARGETS"); do targets="$targets'127.0.0.1:$((BASE_PORT + i))',"; done  # last: down

cat > "$WORK/prometheus.yml" <<YAML
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: [rules.yml]
alerting:
  alertmanagers: [{static_configs: [{targets: ['127.0.0.1:$AM']}]}]
scrape_configs:
  - job_name: genesis
    static_configs: [{targets: ['127.0.0.1:$DEMO']}]
  - job_name: memory_store
    metrics_path: /deps/memory_store/metrics
    static_configs: [{targets: ['127.0.0.1:$DEMO']}]
  - job_name: vector_db
    metrics_path: /deps/vector_db/metrics
    static_configs: [{targets: ['127.0.0.1:$DEMO']}]
  - job_name: graph_db
    metrics_path: /deps/graph_db/metrics
    static_configs: [{targets: ['127.0.0.1:$DEMO']}]
  - job_name: rollout
    static_configs: [{targets: [${targets%,}]}]
YAML
cat > "$WORK/rules.yml" <<'YAML'
groups:
  - name: rollout-alerts
    interval: 1s
    rules:
      - alert: DependencyDown
        expr: up{job=~"memory_store|vector_db|graph_db"} == 0
        for: 0s
        labels: {severity: P1}
      - alert: SystemHealthLow
        expr: genesis_system_health < 95
        for: 0s
        labels: {severity: P3}
      - alert: RAGErrorRatioHigh
        expr: sum(rate(hybrid_rag_errors_total[15s])) / sum(rate(hybrid_rag_queries_total[15s])) > 0.002
        for: 0s
        labels: {severity: P1}
      - record: service_track:http_requests:rate1m
        expr: sum by (service, track) (rate(http_requests_total[1m]))
      - record: service_track:http_errors:ratio_rate1m
        expr: sum by (service, track) (rate(http_requests_total{code=~"5.."}[1m])) / sum by (service, track) (rate(http_requests_total[1m]))
      - record: service:latency_seconds:p99_1m
        expr: histogram_quantile(0.99, sum by (service, le) (rate(http_request_duration_seconds_bucket[1m])))
      - alert: CanaryErrorRatioHigh
        expr: service_track:http_errors:ratio_rate1m{track="canary"} > 0.05
        for: 0s
        labels: {severity: P2}
      - alert: TargetDown
        expr: up{job="rollout"} == 0
        for: 0s
        labels: {severity: P2}
YAML
if [ "${LAYOUT:-one}" = split ]; then  # each measured alert in a group of its own
  python3 - "$WORK/rules.yml" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rules = re.split(r"\n(?=      - (?:alert|record):)", text.split("    rules:\n", 1)[1])
out, rest = ["groups:"], []
for r in rules:
    m = re.match(r"      - alert: (DependencyDown|SystemHealthLow|RAGErrorRatioHigh)\n", r)
    if m:
        out += [f"  - name: {m.group(1)}", "    interval: 1s", "    rules:", r.rstrip("\n")]
    else:
        rest.append(r.rstrip("\n"))
out += ["  - name: rollout-background", "    interval: 1s", "    rules:"] + rest
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
fi
cat > "$WORK/alertmanager.yml" <<YAML
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs: [{url: 'http://127.0.0.1:$RECV/SYSTEM', send_resolved: true}]
YAML
sed 's#/SYSTEM#/prom#' "$WORK/alertmanager.yml" > "$WORK/am_prom.yml"
sed 's#/SYSTEM#/vigil#' "$WORK/alertmanager.yml" > "$WORK/am_vigil.yml"

# The webhook receiver: one JSON line per POST, {"t": arrival (unix s), "path", "body"}.
python3 - "$RECV" "$WORK/hooks.jsonl" > "$WORK/recv.log" 2>&1 <<'PY' &
import http.server, json, sys, time
out = open(sys.argv[2], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        t = time.time()
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
        out.write(json.dumps({"t": t, "path": self.path, "body": json.loads(body)}) + "\n")
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
source bench/lib/static_targets.sh
"$BIN/vigil-demo-exporter" --web.listen-address=127.0.0.1:$DEMO > "$WORK/demo.log" 2>&1 &
start_static_targets --shape rollout
(cd "$WORK" && exec /usr/bin/prometheus-alertmanager --config.file=am_prom.yml \
   --storage.path=am --web.listen-address=127.0.0.1:$AM --cluster.listen-address= \
   --log.level=warn > am.log 2>&1) &
(cd "$WORK" && exec /usr/bin/prometheus --config.file=prometheus.yml --storage.tsdb.path=data \
   --web.listen-address=127.0.0.1:$PROM > prom.log 2>&1) &
(cd "$WORK" && exec "$BIN/vigil-collector" --config.file=prometheus.yml \
   --web.listen-address=127.0.0.1:$COLL --grpc.listen-address=127.0.0.1:0 \
   --bus.publish-address=tcp://127.0.0.1:$BUS_C > collector.log 2>&1) &
(cd "$WORK" && exec "$BIN/vigil-evaluator" --config.file=prometheus.yml \
   --web.listen-address=127.0.0.1:$EVAL --grpc.listen-address=127.0.0.1:$EVAL_GRPC \
   --bus.publish-address=tcp://127.0.0.1:$BUS_E --bus.connect=tcp://127.0.0.1:$BUS_C \
   --storage.path=eval --storage.min-retention=15m --rules.evaluation-mode="${MODE:-event}" \
   ${EVAL_FLAGS:-} > evaluator.log 2>&1) &
EVAL_PID=$!
(cd "$WORK" && exec "$BIN/vigil-notifier" --config.file=am_vigil.yml \
   --web.listen-address=127.0.0.1:$NOTIF --grpc.listen-address=127.0.0.1:0 \
   --bus.publish-address=tcp://127.0.0.1:0 --bus.connect=tcp://127.0.0.1:$BUS_E \
   --evaluator.grpc-address=127.0.0.1:$EVAL_GRPC --storage.path=notifier \
   > notifier.log 2>&1) &
sleep "$WARMUP"
for p in $(jobs -p); do
  if [ ! -e "/proc/$p/stat" ]; then
    echo "process $p died" >&2; for f in "$WORK"/*.log; do echo "== $f" >&2; tail -n 5 "$f" >&2; done; exit 1
  fi
done

evalmetrics() { curl -s --max-time 5 "127.0.0.1:$EVAL/metrics" | grep -E '^vigil_evaluator_(sample_to_alert_event_seconds|rule_group_evaluations_total|rule_group_last_duration_seconds)' || true; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
evalmetrics > "$WORK/eval0"
eval_cpu0=$(cpu_s $EVAL_PID)
load0=$(cut -d' ' -f1 /proc/loadavg)
t_start=$(date +%s.%N)
: > "$WORK/flips"
for ((c = 0; c < CYCLES; c++)); do
  echo "on $(date +%s.%N)" >> "$WORK/flips"  # the time before the POST
  curl -s --max-time 5 -XPOST "127.0.0.1:$DEMO/api/scenario?name=service_down" > /dev/null
  sleep "$ON"
  echo "off $(date +%s.%N)" >> "$WORK/flips"
  curl -s --max-time 5 -XPOST "127.0.0.1:$DEMO/api/scenario?name=healthy" > /dev/null
  sleep "$OFF"
done
evalmetrics > "$WORK/eval1"
eval_cpu=$(python3 -c "print(round($(cpu_s $EVAL_PID) - $eval_cpu0, 2))")
load1=$(cut -d' ' -f1 /proc/loadavg)
t_end=$(date +%s.%N)
# Raw samples of the series the measured alerts read, from each system's own storage.
range=$(python3 -c "import math; print(math.ceil($t_end - $t_start) + 10)")
for sys in prom:$PROM vigil:$EVAL; do
  for q in 'up{job="memory_store"}' genesis_system_health hybrid_rag_queries_total; do
    curl -s --max-time 10 -G "127.0.0.1:${sys#*:}/api/v1/query" --data-urlencode "query=$q[${range}s]" \
      --data-urlencode "time=$t_end" | python3 -c 'import json, sys; print(json.dumps({"sys": sys.argv[1], "q": sys.argv[2], "r": json.load(sys.stdin)}))' "${sys%%:*}" "$q" >> "$WORK/samples.jsonl"
  done
done

python3 - "$WORK" "$t_start" "$load0" "$load1" "$TARGETS" "$SERIES" "${MODE:-event}" "${LAYOUT:-one}" "$eval_cpu" <<'PY'
import json, re, sys
from datetime import datetime
work, t_start, load0, load1 = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
targets, series, mode, layout = int(sys.argv[5]), int(sys.argv[6]), sys.argv[7], sys.argv[8]
eval_cpu = float(sys.argv[9])
flips = [(k, float(t)) for k, t in (l.split() for l in open(f"{work}/flips"))]
ons = [t for k, t in flips if k == "on"]
samples = {}  # (sys, query) -> [(ts, value)]
for l in open(f"{work}/samples.jsonl"):
    j = json.loads(l)
    res = j["r"].get("data", {}).get("result", [])
    samples[(j["sys"], j["q"])] = sorted((float(t), float(v)) for t, v in res[0]["values"]) if res else []
def ts(s):  # RFC 3339 with up to 9 fractional digits -> unix seconds
    m = re.match(r"(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", s)
    base = datetime.fromisoformat(m.group(1) + (m.group(3).replace("Z", "+00:00")))
    return base.timestamp() + (float("0." + m.group(2)) if m.group(2) else 0)
condition = {"DependencyDown": ('up{job="memory_store"}', lambda v: v == 0),
             "SystemHealthLow": ("genesis_system_health", lambda v: v < 95)}
seen, rows = set(), []
for l in open(f"{work}/hooks.jsonl"):
    h = json.loads(l)
    system = h["path"].strip("/")
    for a in h["body"]["alerts"]:
        name, sa = a["labels"]["alertname"], ts(a["startsAt"])
        if a["status"] != "firing" or name not in ("DependencyDown", "SystemHealthLow", "RAGErrorRatioHigh"):
            continue
        if sa < t_start or (system, name, a["startsAt"]) in seen:
            continue
        seen.add((system, name, a["startsAt"]))
        flip = max([t for t in ons if t <= sa + 1], default=None)
        row = {"system": system, "alert": name, "flip": flip, "startsAt": sa, "recv": h["t"],
               "startsat_ms": (h["t"] - sa) * 1e3}
        if name in condition:
            q, ok = condition[name]
            # The condition is false for OFF seconds before the switch: the first sample on
            # which it holds from shortly before the switch (scrape timestamps are aligned to
            # the schedule, up to 2 ms before the request) is the one the switch made true.
            first = [t for t, v in samples.get((system, q), []) if flip is not None and t >= flip - 0.5 and ok(v)]
            row["sample_ts"] = first[0] if first else None
            row["how"] = "first sample after the switch on which the condition holds"
        else:
            prior = [t for t, v in samples.get((system, "hybrid_rag_queries_total"), []) if t <= sa + 1e-6]
            row["sample_ts"] = prior[-1] if prior else None
            row["how"] = "last genesis scrape at or before startsAt"
        row["e2e_ms"] = (h["t"] - row["sample_ts"]) * 1e3 if row["sample_ts"] else None
        row["switch_to_sample_ms"] = (row["sample_ts"] - flip) * 1e3 if row["sample_ts"] and flip else None
        rows.append(row)
for r in sorted(rows, key=lambda r: r["recv"]):
    print(json.dumps(r))

def hist(name):
    b, ev = {}, {}
    for line in open(f"{work}/{name}"):
        m = re.match(r'vigil_evaluator_rule_group_last_duration_seconds\{.*rule_group="[^"]*;([^"]+)".*\} (\S+)', line)
        if m: ev["last_duration_ms " + m.group(1)] = round(float(m.group(2)) * 1e3, 3)
        m = re.match(r'vigil_evaluator_sample_to_alert_event_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
        if m: b[float(m.group(1))] = float(m.group(2))
        m = re.match(r'vigil_evaluator_rule_group_evaluations_total\{(.*)\} (\S+)', line)
        if m:
            trig = re.search(r'trigger="([^"]+)"', m.group(1))
            k = trig.group(1) if trig else "all"
            ev[k] = ev.get(k, 0) + float(m.group(2))
    return b, ev
(h0, e0), (h1, e1) = hist("eval0"), hist("eval1")
delta = sorted((le, h1[le] - h0.get(le, 0)) for le in h1)
total = delta[-1][1] if delta else 0
def hq(p):  # (bucket upper bound, linear interpolation inside the bucket) in ms
    prev_le, prev_c = 0.0, 0.0
    for le, c in delta:
        if total and c >= p * total:
            if le == float("inf"):
                return (float("inf"), prev_le * 1e3)
            return (le * 1e3, (prev_le + (le - prev_le) * (p * total - prev_c) / max(c - prev_c, 1e-9)) * 1e3)
        prev_le, prev_c = le, c
    return (float("nan"), float("nan"))
def q(xs, p):
    xs = sorted(x for x in xs if x is not None)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")
summary = {"summary": True, "mode": mode, "layout": layout, "series_static": targets * series, "cycles": len(ons),
           "load1_start": float(load0), "load1_end": float(load1),
           "vigil_hist_obs": total, "vigil_hist_p50_ms": hq(.5), "vigil_hist_p99_ms": hq(.99),
           "vigil_evaluations": {k: e1.get(k, 0) - (0 if k.startswith("last_") else e0.get(k, 0)) for k in e1},
           "vigil_evaluator_cpu_s": eval_cpu}
for system in ("vigil", "prom"):
    for alert in ("DependencyDown", "SystemHealthLow", "RAGErrorRatioHigh", "all"):
        xs = [r for r in rows if r["system"] == system and (alert == "all" or r["alert"] == alert)]
        for f in ("e2e_ms", "startsat_ms"):
            summary[f"{system}_{alert}_{f}"] = {"n": len(xs), "p50": q([r[f] for r in xs], .5), "p99": q([r[f] for r in xs], .99)}
print(json.dumps(summary))
print()
S = summary
def cell(system, alert, f):
    s = S[f"{system}_{alert}_{f}"]
    return f"{s['p50']:.1f} / {s['p99']:.1f} (n={s['n']})"
print(f"{len(ons)} switches, {targets}x{series} static + 46 demo series, load average {load0} -> {load1}, vigil mode {mode}, rule groups: {layout}")
print()
print("| p50 / p99 (ms) | Prometheus 2.42 + Alertmanager 0.25 | vigil |")
print("|---|---|---|")
for alert in ("DependencyDown", "SystemHealthLow", "RAGErrorRatioHigh", "all"):
    print(f"| scrape -> webhook, {alert} | {cell('prom', alert, 'e2e_ms')} | {cell('vigil', alert, 'e2e_ms')} |")
print(f"| startsAt -> webhook, all | {cell('prom', 'all', 'startsat_ms')} | {cell('vigil', 'all', 'startsat_ms')} |")
p50, p99 = hq(.5), hq(.99)
print(f"| vigil_evaluator_sample_to_alert_event_seconds ({total:.0f} obs.) | - | p50 <= {p50[0]:g} (~{p50[1]:.2f}), p99 <= {p99[0]:g} (~{p99[1]:.2f}) |")
print(f"| vigil group evaluations by trigger | - | {', '.join(f'{k}: {v:.0f}' for k, v in sorted(S['vigil_evaluations'].items()) if not k.startswith('last_'))} |")
durations = ", ".join(f"{k.split(maxsplit=1)[1]}: {v:g}" for k, v in sorted(S["vigil_evaluations"].items()) if k.startswith("last_"))
print(f"| vigil group evaluation, last duration (ms) | - | {durations} |")
print(f"| vigil-evaluator CPU over the switches | - | {S['vigil_evaluator_cpu_s']:g} s |")
PY
