#!/usr/bin/env bash
# Every benchmark of RESULTS.md, in one go (about 20-40 minutes on 2 shared cores).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
$PY benchmarks/make_corpus.py --docs 20000 --output benchmarks/data/corpus-20000.parquet
$PY benchmarks/make_corpus.py --docs 200000 --output benchmarks/data/corpus-200000.parquet
$PY benchmarks/make_pipelines.py cheap tiny
$PY benchmarks/bench_annotate.py --model benchmarks/out/pipelines/${MODEL:-tiny} \
    --corpus benchmarks/data/corpus-20000.parquet --workers 2 --local-one-thread \
    --memory-model benchmarks/out/pipelines/cheap \
    --memory-corpora benchmarks/data/corpus-20000.parquet benchmarks/data/corpus-200000.parquet
