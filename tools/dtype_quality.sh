#!/usr/bin/env bash
# What half precision costs the demo model: its summaries of the 64 held-out articles in fp32 and in bf16, and the
# paired comparison of their ROUGE (with how many summaries changed). Needs a CPU or GPU with native bf16.
# Usage: tools/dtype_quality.sh [SAMPLE] [OUT]
set -euo pipefail
sample=${1:-../shared/data/pubmed-sample.jsonl}
out=${2:-runs/dtype-quality}
for dtype in fp32 bf16; do
    longsum eval --model builtin --dataset "$sample" --limit 64 --max-length 128 --dtype "$dtype" \
        --output-dir "$out/$dtype" --force
done
longsum compare "$out/fp32" "$out/bf16"
