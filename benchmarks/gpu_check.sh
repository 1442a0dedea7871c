#!/usr/bin/env bash
# The GPU checks of issue 8 in one script, for a machine with one GPU (e.g. the lent H100/H200):
#   bash benchmarks/gpu_check.sh [SECONDS_FOR_REVERSAL_CURSE]   (default 420)
# 1. phys doctor (devices, 10-s throughput probe);  2. a smoke run on GPU 0 through the local queue;
# 3. GPT2-small throughput and MFU;  4. phys vs transformers at GPT2-small on the GPU (if installed);
# 5. reversal_curse at gpu scale on 1 GPU, stopped after SECONDS if it has not finished (it resumes:
#    `phys --runs-dir $RUNS runs resume last`), then its run summary.
# Everything lands in $RUNS (default $OUT/runs or ./runs-gpu); nothing here needs the network.
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_RC=${1:-420}
RUNS=${RUNS:-${OUT:-.}/runs-gpu}
export PHYS_RUNS_DIR=$RUNS
step() { echo; echo "=== $* ($(date +%T))"; }

step "1. doctor"
python -m phys doctor
step "2. smoke run through the local queue on GPU 0"
python -m phys run recipe reversal_curse --scale smoke --devices 0
step "3. GPT2-small throughput and MFU"
python benchmarks/gpu_throughput.py --batch 16 --block 1024 --steps 40
step "4. phys vs transformers, GPT2-small shape, on the GPU"
if python -c "import transformers" 2>/dev/null; then
  python benchmarks/vs_transformers.py --size gpt2-small --rounds 5 --steps 10
else
  echo "transformers not installed: skipped"
fi
step "5. reversal_curse at gpu scale on 1 GPU (at most ${SECONDS_RC} s)"
timeout --signal=TERM --kill-after=60 "$SECONDS_RC" python -m phys run recipe reversal_curse --scale gpu --devices 0
echo "exit status $?"
python -m phys runs show last
grep '"stage": "train"' "$RUNS"/*-reversal_curse-gpu-*/metrics.jsonl | tail -3
