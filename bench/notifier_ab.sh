#!/usr/bin/env bash
# Two vigil-notifier binaries compared by CPU per notification, runs alternating A, B, A, B...
# so that the machine's load falls on both alike; prints each run and the medians (total,
# by thread, and file bytes written per notification). One run is bench/notifier_threads.sh.
#
#   bench/notifier_ab.sh OLD_BINARY NEW_BINARY [RUNS] [ALERTS]   (defaults 9, 20000;
#                                     KEEP_ALIVE=0 for a receiver that closes connections)
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1 B=$2 RUNS=${3:-9} ALERTS=${4:-20000}
OUT=$(mktemp -d /tmp/vigil-nab-XXXXXX)
trap 'rm -rf "$OUT"' EXIT
for i in $(seq "$RUNS"); do
  for side in A B; do
    bin=$A; [ "$side" = B ] && bin=$B
    VIGIL_NOTIFIER=$bin KEEP_ALIVE=${KEEP_ALIVE:-1} bench/notifier_threads.sh "$ALERTS" > "$OUT/run" 2>&1
    total=$(grep -o '"cpu_us_per_notification":[0-9.]*' "$OUT/run" | cut -d: -f2)
    bytes=$(awk '/^file bytes written/ {print $NF}' "$OUT/run")
    echo "$side total $total" >> "$OUT/all"
    echo "$side file_bytes $bytes" >> "$OUT/all"
    # A copy named vigil-notifier.old shows as "vigil-notifier." (15 characters of comm).
    awk -v s="$side" '/us\/notification/ {sub(/^vigil-notifier.*/, "vigil-notifier", $1)
      print s, $1, $2}' "$OUT/run" >> "$OUT/all"
    echo "run $i $side: $total us/notification, $bytes file bytes/notification"
  done
done
echo "medians of $RUNS runs (A = $A, B = $B):"
python3 - "$OUT/all" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    side, key, value = line.split()
    runs.setdefault(key, {}).setdefault(side, []).append(float(value))
for key in sorted(runs):
    a, b = (statistics.median(runs[key].get(s, [0])) for s in "AB")
    print(f"{key:16} A {a:8.1f}   B {b:8.1f}   B/A {b / a if a else 0:5.2f}")
PY
