#!/usr/bin/env bash
# CPU-seconds per million samples scraped: vigil-collector vs Prometheus 2.42, scraping the
# same targets in the same run on the same machine.
#
#   bench/collector_vs_prometheus.sh [TARGETS] [SERIES] [SECONDS]     (defaults 20 5000 60)
#
# Prometheus's number includes what it does with each sample (head append, WAL); the
# collector's includes parsing, relabelling and publishing on the bus. Prints a Markdown
# table for docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS=${1:-20}
SERIES=${2:-5000}
SECONDS_RUN=${3:-60}
BIN=build/bin
WORK=$(mktemp -d /tmp/vigil-bench-XXXXXX)
# Below the kernel's ephemeral range (32768-), which the scrapers' own connections use.
BASE_PORT=$((12000 + RANDOM % 18000))
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

targets=""
for i in $(seq 0 $((TARGETS - 1))); do targets="$targets'127.0.0.1:$((BASE_PORT + i))',"; done
cat > "$WORK/prometheus.yml" <<YAML
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: bench
    static_configs: [{targets: [${targets%,}]}]
YAML

source bench/lib/static_targets.sh
start_static_targets
PROM_PORT=$((BASE_PORT - 1))
(cd "$WORK" && exec prometheus --config.file=prometheus.yml --storage.tsdb.path=data \
   --web.listen-address=127.0.0.1:$PROM_PORT > prom.log 2>&1) &
PROM_PID=$!
COLL_HTTP=$((BASE_PORT - 2))
(cd "$WORK" && exec "$OLDPWD/$BIN/vigil-collector" --config.file=prometheus.yml \
   --web.listen-address=127.0.0.1:$COLL_HTTP --grpc.listen-address=127.0.0.1:0 \
   --bus.publish-address=tcp://127.0.0.1:0 > collector.log 2>&1) &
COLL_PID=$!
sleep 5  # warm-up: series creation is not the steady state
for pid in $PROM_PID $COLL_PID; do
  if [ ! -e "/proc/$pid/stat" ]; then echo "process $pid died" >&2; cat "$WORK"/*.log >&2; exit 1; fi
done

cpu() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
# Sums every series of a metric (Prometheus 2.42 labels its appended samples by type).
metric() {
  curl -s "127.0.0.1:$1/metrics" |
    awk -v m="$2" 'index($1, m) == 1 && (length($1) == length(m) || substr($1, length(m) + 1, 1) == "{") {s += $2} END {printf "%.0f", s}'
}
prom_samples() { metric $PROM_PORT prometheus_tsdb_head_samples_appended_total; }
coll_samples() { metric $COLL_HTTP vigil_collector_samples_published_total; }

p0=$(cpu $PROM_PID); c0=$(cpu $COLL_PID); ps0=$(prom_samples); cs0=$(coll_samples)
sleep "$SECONDS_RUN"
p1=$(cpu $PROM_PID); c1=$(cpu $COLL_PID); ps1=$(prom_samples); cs1=$(coll_samples)

python3 - "$p0" "$p1" "$ps0" "$ps1" "$c0" "$c1" "$cs0" "$cs1" "$TARGETS" "$SERIES" "$SECONDS_RUN" <<'PY'
import sys
p0, p1, ps0, ps1, c0, c1, cs0, cs1 = map(float, sys.argv[1:9])
t, s, secs = sys.argv[9:12]
prom = (p1 - p0) / ((ps1 - ps0) / 1e6)
coll = (c1 - c0) / ((cs1 - cs0) / 1e6)
print(f"{t} targets x {s} series at 1s, {secs}s measured after 5s warm-up")
print("| process | CPU-seconds | samples | CPU-s per million samples |")
print("|---|---|---|---|")
print(f"| Prometheus 2.42 | {p1-p0:.2f} | {ps1-ps0:.0f} | {prom:.2f} |")
print(f"| vigil-collector | {c1-c0:.2f} | {cs1-cs0:.0f} | {coll:.2f} |")
print(f"ratio (vigil / Prometheus): {coll/prom:.2f}")
PY
