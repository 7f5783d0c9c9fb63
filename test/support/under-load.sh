#!/usr/bin/env bash
# Runs jest RUNS times while BURNERS busy loops (default 2: both cores of the CI machine) compete
# for the CPU, printing each run's wall time and outcome: the suite must pass with the cores busy.
#
#   test/support/under-load.sh [RUNS] [jest arguments...]     (npm run test:under-load -- 3)
#
# RUNS defaults to 3; without jest arguments the whole suite runs. The burners are killed on every
# exit path (success, failure, Ctrl-C), by their own process ids.
set -uo pipefail
cd "$(dirname "$0")/../.."

runs=3
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then runs=$1; shift; fi
burners=${BURNERS:-2}

pids=()
stop_burners() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  pids=()
}
trap stop_burners EXIT
trap 'exit 130' INT TERM

for ((i = 0; i < burners; i++)); do
  node -e 'for (;;) {}' &
  pids+=($!)
done
echo "== ${burners} CPU burners running (pids ${pids[*]}); ${runs} run(s) of: jest $*"

failed=0
log_dir=$(mktemp -d)
for ((run = 1; run <= runs; run++)); do
  started=$(date +%s%3N)
  if npx jest "$@" >"$log_dir/run-$run.log" 2>&1; then outcome=passed; else outcome=FAILED; failed=$((failed + 1)); fi
  elapsed=$(($(date +%s%3N) - started))
  summary=$(grep -E '^Tests:' "$log_dir/run-$run.log" | tail -1)
  printf 'run %d: %s in %d.%d s  (%s)  log: %s\n' "$run" "$outcome" $((elapsed / 1000)) $((elapsed % 1000 / 100)) "${summary:-no summary}" "$log_dir/run-$run.log"
  if [[ $outcome == FAILED ]]; then grep -E '^\s*(FAIL|●) ' "$log_dir/run-$run.log" | head -20; fi
done
echo "under-load: $((runs - failed)) passed, ${failed} failed"
[[ $failed -eq 0 ]]
