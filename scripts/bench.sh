#!/usr/bin/env bash
# Every benchmark of bench/ in one command, after the same setup and build as
# the tests. Each script measures its reference (the original embetter,
# sentence-transformers, ONNX Runtime, the Rust tokenizers, scikit-learn) in
# the same run and prints a Markdown table with the machine's load average:
# the machine may be shared, so compare the ratios, not absolute times.
#
#   bash scripts/bench.sh            # all of them (about 15 minutes on 2 cores)
#   bash scripts/bench.sh finetune   # one: finetune, quality, encoder, scale, tokenizer, lite
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
PY=.venv/bin/python

run() {
  echo
  echo "## $1"
  shift
  "$PY" "$@"
}

want=${1:-all}
case "$want" in all | finetune)
  run "FeedForwardTuner fit vs the original embetter (1 thread)" bench/finetune_vs_original.py --threads 1 --repeats 3
  run "FeedForwardTuner fit vs the original embetter (2 threads)" bench/finetune_vs_original.py --threads 2 --repeats 3 ;;
esac
# Tuner quality over 10 seeded splits of two data sets, ours and the original's (issue 20).
case "$want" in all | quality) run "Tuner quality vs the original embetter (10 splits)" bench/finetune_quality.py ;; esac
case "$want" in all | encoder) run "SentenceEncoder vs sentence-transformers and ONNX Runtime" bench/encoder_vs_references.py ;; esac
# Streamed `embetter encode`, 2 threads: time per text from 1,000 to 20,000 sentences.
case "$want" in all | scale) run "embetter encode: time per text from 1,000 to 20,000 texts" bench/encoder_vs_references.py --engines --threads 2 --rss-texts 0 --scale 1000 5000 20000 --scale-texts short ;; esac
case "$want" in all | tokenizer) run "Tokenizer vs the Rust tokenizers library" bench/tokenizer_vs_rust.py ;; esac
case "$want" in all | lite) run "LiteTextEncoder fit vs scikit-learn" bench/lite_vs_sklearn.py ;; esac
case "$want" in all | finetune | quality | encoder | scale | tokenizer | lite) ;; *) echo "bench.sh: unknown benchmark '$want' (finetune, quality, encoder, scale, tokenizer, lite)" >&2; exit 2 ;; esac
