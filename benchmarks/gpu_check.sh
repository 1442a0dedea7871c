#!/usr/bin/env bash
# The GPU checks of issue 8 in one script, for a machine with one GPU (e.g. the lent H100/H200):
#   bash benchmarks/gpu_check.sh [SECONDS_FOR_REVERSAL_CURSE [SECONDS_FOR_KNOWLEDGE_STORAGE]]   (420, 240)
# 1. phys doctor (devices, 10-s throughput probe);  2. a smoke run on GPU 0 through the local queue;
# 3. GPT2-small throughput and MFU;  4. phys vs transformers at GPT2-small on the GPU (if installed);
# 5. reversal_curse at gpu scale on 1 GPU, stopped after SECONDS if it has not finished (it resumes:
#    `phys --runs-dir $RUNS runs resume last`), then its run summary;  6. knowledge_storage at gpu scale
#    the same way. Their gpu scales train 983M tokens (reversal_curse: one 26.9M-parameter model) and 6.6B
#    (knowledge_storage: six pretrainings of 983M and six finetunings of 123M): about 11 min and 75 min of
#    one H100 at an assumed 1.5M tokens/s (≈ 25% MFU; not measured: no GPU has been lent to this project
#    yet). A 15-minute lease shows their first steps, their tokens/s and that they resume, not verdicts.
# Everything lands in $RUNS (default $OUT/runs or ./runs-gpu); nothing here needs the network.
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_RC=${1:-420}
SECONDS_KS=${2:-240}
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
step "6. knowledge_storage at gpu scale on 1 GPU (at most ${SECONDS_KS} s)"
timeout --signal=TERM --kill-after=60 "$SECONDS_KS" python -m phys run recipe knowledge_storage --scale gpu --devices 0
echo "exit status $?"
python -m phys runs show last
grep '"stage": "pretrain_' "$RUNS"/*-knowledge_storage-gpu-*/metrics.jsonl | tail -3
