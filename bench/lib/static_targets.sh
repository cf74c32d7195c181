# shellcheck shell=bash
# Sourced (not run) by the benchmarks that scrape bench_static_targets.
#
#   start_static_targets [FLAG...]
#       starts "$BIN/bench_static_targets" --base-port "$BASE_PORT" --targets "$TARGETS"
#       --series "$SERIES" FLAG... in the background (its stderr in $WORK/targets.log), waits
#       a second for it to listen, and exits the calling script when it did not: it exits at
#       once when one of its ports is taken, and the run would then measure nothing but
#       up == 0.
start_static_targets() {
  "$BIN/bench_static_targets" --base-port "$BASE_PORT" --targets "$TARGETS" --series "$SERIES" \
    "$@" 2>"$WORK/targets.log" &
  local pid=$!
  sleep 1
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "bench_static_targets exited: $(cat "$WORK/targets.log")" >&2
    exit 1
  fi
}
