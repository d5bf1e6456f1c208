#!/usr/bin/env bash
# The GPU run, in one go (see README.md): unpack the carried Node and llmux, check the torch
# backend against the contract tests, write the weights files, run llmux's validator with the
# real nvidia-smi on the level-1 model, then the switching benchmark through llmux with three
# engine-backed models (levels 1, 2, 3). Every step has its own time limit and the whole run
# stays under LLMUX_GPU_LIMIT_S (default 330 s). Everything lands in $OUT (8 files at most):
#   summary.txt  both tables and the verdicts      run.txt     everything printed, with times
#   validate.txt the validator's report (--verbose) switch.json every switch, measured
#   llmux.log    llmux's JSON log                   engines.log every engine's log
#   smoke.txt    the contract tests on torch        env.txt     GPU, driver, versions, memory
# Settings (environment): LLMUX_GPU_SIZE_GB (6), LLMUX_GPU_UTILIZATION (0.6),
# LLMUX_GPU_PINNED (alloc|keep), LLMUX_GPU_ROUNDS (2), LLMUX_GPU_SMOKE (1 = run the tests),
# LLMUX_GPU_BACKEND (torch; `fake` rehearses the whole script on a machine without a GPU).
set -uo pipefail
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
art="$here/.artifacts"
OUT=${OUT:-"$art/out"}
mkdir -p "$OUT"
work=${LLMUX_GPU_WORK:-/tmp/llmux-gpu}
SIZE_GB=${LLMUX_GPU_SIZE_GB:-6}
UTIL=${LLMUX_GPU_UTILIZATION:-0.6}
PINNED=${LLMUX_GPU_PINNED:-alloc}
ROUNDS=${LLMUX_GPU_ROUNDS:-2}
SMOKE=${LLMUX_GPU_SMOKE:-1}
BACKEND=${LLMUX_GPU_BACKEND:-torch}
PORT=${LLMUX_GPU_PORT:-3300}
LIMIT=${LLMUX_GPU_LIMIT_S:-330}
PY=${LLMUX_ENGINE_PYTHON:-python3}
export PYTHONUNBUFFERED=1 LLMUX_ENGINE_PYTHON="$PY"
SECONDS=0
llmux_pid=""

say() { echo "[run.sh +${SECONDS}s] $*" | tee -a "$OUT/run.txt"; }
left() { echo $((LIMIT - SECONDS)); }
# step <name> <max seconds> <command...>: run bounded by both its own limit and what is left.
step() {
  local name=$1 max=$2; shift 2
  local budget; budget=$(left)
  [ "$max" -lt "$budget" ] || max=$budget
  if [ "$max" -le 5 ]; then say "SKIP $name: no time left"; return 124; fi
  say "BEGIN $name (limit ${max}s)"
  timeout -k 5 "$max" "$@" 2>&1 | tee -a "$OUT/run.txt"
  local rc=${PIPESTATUS[0]}
  say "END $name rc=$rc"
  return "$rc"
}

# Engines of this run that nothing stopped (a step cut short by its time limit): llmux and the tests
# start each in a new session, so on the GPU machine they would outlive this script and hold the GPU.
# Only this run's: their command line or environment names this run's folder.
kill_leftover_engines() {
  local pid pgid
  for pid in $(pgrep -f 'engine.py serve|vllm-engine serve' 2>/dev/null); do
    cat "/proc/$pid/cmdline" "/proc/$pid/environ" 2>/dev/null | tr '\0' '\n' | grep -qF "$work/" || continue
    pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')
    [ -n "$pgid" ] && kill -KILL -- "-$pgid" 2>/dev/null && say "killed a leftover engine (pid $pid, group $pgid)"
  done
}

stop_everything() {
  if [ -n "$llmux_pid" ] && kill -0 "$llmux_pid" 2>/dev/null; then
    kill -TERM "$llmux_pid" 2>/dev/null
    for _ in $(seq 1 60); do kill -0 "$llmux_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$llmux_pid" 2>/dev/null
  fi
  # Engines llmux recorded but did not stop (it was killed): their process groups, by number.
  if [ -f "$work/state.json" ]; then
    for pgid in $("$PY" -c 'import json,sys; print(" ".join(str(p["pgid"]) for p in json.load(open(sys.argv[1])).get("processes", [])))' "$work/state.json" 2>/dev/null); do
      kill -KILL -- "-$pgid" 2>/dev/null && say "killed a leftover engine process group $pgid"
    done
  fi
  kill_leftover_engines
}

collect() {
  stop_everything
  {
    for f in "$work"/logs/*.log "$work"/smoke-logs/*.log; do
      [ -f "$f" ] && { echo "===== $f"; cat "$f"; }
    done
  } > "$OUT/engines.log" 2>/dev/null
  say "GPU memory after the run (MiB): $(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | tr '\n' ' ')"
  say "leftover engine processes: $(pgrep -f 'vllm-engine serve' 2>/dev/null | wc -l)"
  say "done in ${SECONDS}s"
}
trap collect EXIT

kill_leftover_engines
rm -rf "$work" && mkdir -p "$work/logs" "$work/cache" "$work/smoke-logs"
say "settings: backend ${BACKEND}, size ${SIZE_GB} GB, utilization ${UTIL}, pinned buffers ${PINNED}, rounds ${ROUNDS}, limit ${LIMIT}s, work ${work}"

# --- 0. the machine ---------------------------------------------------------------------------
{
  date -u
  nvidia-smi || true
  nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version --format=csv || true
  "$PY" -c 'import sys, torch, transformers, safetensors; print(sys.version); print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available()); print("transformers", transformers.__version__, "safetensors", safetensors.__version__)' || true
  free -g || true
  df -h "$work" / || true
  nproc || true
} > "$OUT/env.txt" 2>&1
gpu_name=$(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | head -1)
total_mib=$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits 2>/dev/null | head -1 | tr -d ' ')
gib=$("$PY" -c "print(round(${total_mib:-143771} / 1024, 1))")
say "GPU: ${gpu_name:-unknown} (${gib} GiB)"

# --- 1. node and llmux --------------------------------------------------------------------------
step unpack 90 "$PY" "$here/unpack_artifacts.py" "$art" "$work" || { say "FAILED: cannot unpack node and llmux (did prepare.sh run, and is bench/gpu/.artifacts carried?)"; exit 1; }
NODE="$work/node/bin/node"
LLMUX=("$NODE" "$work/llmux/dist/cli.js")
step node-version 20 "${LLMUX[@]}" --version || { say "FAILED: the carried node or llmux does not run here"; exit 1; }

# --- 2. config, weights files, and (meanwhile) the torch backend against the contract tests ---------
"$PY" "$here/bench_config.py" --out "$work/config.json" --engine "$here/vllm-engine" --log-dir "$work/logs" \
  --cache-dir "$work/cache" --backend "$BACKEND" --size-gb "$SIZE_GB" --utilization "$UTIL" --pinned-buffers "$PINNED" \
  --gpu-memory-gib "$gib" --base-port "$PORT"
models=$("$PY" -c 'import json,sys; print(" ".join(m["model_path"] for m in json.load(open(sys.argv[1]))["models"].values()))' "$work/config.json")
if [ "$SMOKE" = 1 ]; then
  # One engine of 0.5 GB at 0.3 of the card beside the weights builder: both fit, neither is measured.
  (cd "$here" && LLMUX_ENGINE_TEST_BACKEND=$BACKEND LLMUX_ENGINE_TEST_SIZE_GB=0.5 TMPDIR="$work/smoke-logs" \
    step smoke 150 "$PY" -m unittest -v test_engine.SleepCycleTests) > "$OUT/smoke.txt" 2>&1 &
  smoke_pid=$!
fi
# shellcheck disable=SC2086
step build-weights 120 "$PY" "$here/engine.py" build-weights $models --backend "$BACKEND" --size-gb "$SIZE_GB" --cache-dir "$work/cache" \
  --engine-log "$work/logs/build-weights.log" || say "WARNING: weights files not all written; the first starts will write them"
if [ -n "${smoke_pid:-}" ]; then
  wait "$smoke_pid"
  smoke_rc=$?
  kill_leftover_engines  # tests cut short by their time limit leave their engines
  tail -n 4 "$OUT/smoke.txt" | tee -a "$OUT/run.txt"
  say "smoke tests rc=$smoke_rc"
fi

# --- 3. the validator, real nvidia-smi ------------------------------------------------------------
step validate 150 "${LLMUX[@]}" --config "$work/config.json" --validate engine-l1 --levels 1,2 --verbose \
  --nvidia-smi "$(command -v nvidia-smi || echo nvidia-smi)" > "$OUT/validate.txt" 2>&1
validate_rc=$?
say "validator rc=$validate_rc"
kill_leftover_engines  # a validator stopped by its time limit may have left its engine

# --- 4. llmux and the switching benchmark ---------------------------------------------------------
"${LLMUX[@]}" --config "$work/config.json" --log-format json --state-file "$work/state.json" > "$OUT/llmux.log" 2>&1 &
llmux_pid=$!
for _ in $(seq 1 100); do
  "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "http://127.0.0.1:${PORT}/health" 2>/dev/null && break
  kill -0 "$llmux_pid" 2>/dev/null || break
  sleep 0.2
done
say "llmux started (pid $llmux_pid)"
bench_budget=$(( $(left) - 35 ))
step switch-bench $((bench_budget + 20)) "$PY" "$here/switch_bench.py" --url "http://127.0.0.1:${PORT}" --config "$work/config.json" \
  --llmux-log "$OUT/llmux.log" --rounds "$ROUNDS" --budget-s "$bench_budget" --nvidia-smi "$(command -v nvidia-smi || echo nvidia-smi)" \
  --out-json "$OUT/switch.json" > "$work/bench.txt"
bench_rc=$?

# --- 5. summary -------------------------------------------------------------------------------------
{
  echo "llmux on a real GPU: ${gpu_name:-unknown}, $(date -u +%Y-%m-%d)"
  echo "engine: ${BACKEND} backend, random-weight Llama ${SIZE_GB} GB bf16, gpu_memory_utilization ${UTIL}, pinned buffers ${PINNED}"
  echo
  echo "== Validator: llmux --validate engine-l1 --levels 1,2 (rc=$validate_rc)"
  grep -E '^(Level|-{20,}|L[123] |Result:|GPU memory)' "$OUT/validate.txt" || tail -n 20 "$OUT/validate.txt"
  echo
  echo "== Switching benchmark (rc=$bench_rc)"
  sed -n '/^Switches through llmux/,$p' "$work/bench.txt" | grep -v '^\[run.sh'
  echo
  grep -h 'waited .* seconds for .* GPU memory' "$work"/logs/*.log 2>/dev/null | sed 's/^/engine: /' 
  echo
  echo "smoke tests rc=${smoke_rc:-skipped}"
} > "$OUT/summary.txt"
cat "$OUT/summary.txt"
