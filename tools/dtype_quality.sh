#!/usr/bin/env bash
# What half precision costs the demo model: its summaries of the 64 held-out articles (the sample's first 64) in fp32
# and in bf16, and the paired comparison of their ROUGE with how many summaries changed. Needs native bf16 (a CUDA
# GPU, or a CPU with AVX512-BF16 or AMX). Usage: tools/dtype_quality.sh [SAMPLE] [OUT] [LIMIT]
set -euo pipefail
sample=${1:-../shared/data/pubmed-sample.jsonl}
out=${2:-runs/dtype-quality}
limit=${3:-64}
for dtype in fp32 bf16; do
    longsum eval --model builtin --dataset "$sample" --limit "$limit" --max-length 128 --dtype "$dtype" \
        --output-dir "$out/$dtype" --force
done
longsum compare "$out/fp32" "$out/bf16"
