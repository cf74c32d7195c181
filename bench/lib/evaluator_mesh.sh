# shellcheck shell=bash
# Sourced (not run) by bench/evaluator_memory.sh and bench/evaluator_vs_prometheus.sh: the
# vigil mesh both measure, vigil-collector -> bus -> vigil-evaluator scraping
# bench_static_targets --shape rollout at 1 s under the rollout rules
# (bench/rollout_rules.yml), set up the same way in both so that their numbers compare.
# Sources bench/lib/static_targets.sh.
#
# The caller sets BIN (the built binaries), WORK (a scratch directory, the processes' working
# directory and logs), BASE_PORT, TARGETS and SERIES, and calls, in order:
#   mesh_write_config       $WORK/prometheus.yml and the rules: TARGETS targets from
#                           BASE_PORT on, plus one at a closed port (so TargetDown fires)
#   mesh_start_targets      bench_static_targets; sets the ports below BASE_PORT:
#                           COLL_HTTP, EVAL_HTTP, BUS_PORT (BASE_PORT - 1 is left for a
#                           Prometheus beside the mesh)
#   mesh_start_collector    sets COLL_PID
#   mesh_start_evaluator WRAPPER [FLAG...]
#                           sets EVAL_PID; WRAPPER (may be empty) is a command line the
#                           evaluator runs under (heaptrack); FLAGs are added to its own

source bench/lib/static_targets.sh

mesh_write_config() {
  local targets="" i
  for i in $(seq 0 "$TARGETS"); do targets="$targets'127.0.0.1:$((BASE_PORT + i))',"; done  # last: down
  cp bench/rollout_rules.yml "$WORK/"
  cat > "$WORK/prometheus.yml" <<YAML
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 5s}
rule_files: [rollout_rules.yml]
scrape_configs:
  - job_name: rollout
    static_configs: [{targets: [${targets%,}]}]
YAML
}

mesh_start_targets() {
  start_static_targets --shape rollout
  COLL_HTTP=$((BASE_PORT - 2)) EVAL_HTTP=$((BASE_PORT - 3)) BUS_PORT=$((BASE_PORT - 4))
}

mesh_start_collector() {
  (cd "$WORK" && exec "$BIN/vigil-collector" --config.file=prometheus.yml \
     --web.listen-address=127.0.0.1:$COLL_HTTP --grpc.listen-address=127.0.0.1:0 \
     --bus.publish-address=tcp://127.0.0.1:$BUS_PORT > collector.log 2>&1) &
  COLL_PID=$!
}

mesh_start_evaluator() {
  local wrapper=$1
  shift
  # $wrapper unquoted: a command line of its own words, or none.
  (cd "$WORK" && exec $wrapper "$BIN/vigil-evaluator" --config.file=prometheus.yml \
     --web.listen-address=127.0.0.1:$EVAL_HTTP --grpc.listen-address=127.0.0.1:0 \
     --bus.publish-address=tcp://127.0.0.1:0 --bus.connect=tcp://127.0.0.1:$BUS_PORT \
     --storage.path=eval --rules.alert.resend-delay=1s "$@" > evaluator.log 2>&1) &
  EVAL_PID=$!
}
