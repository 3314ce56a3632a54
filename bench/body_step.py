#!/usr/bin/env python3
"""Training steps of all-MiniLM-L6-v2, ours (C++) against sentence-transformers (PyTorch).

The same pairs of IMDB reviews in the same batches, CosineSimilarityLoss,
AdamW with fit's decay groups, warm-up/linear schedule and clipping, dropout
on (training mode) on both sides; the time of --steps steps after one warm-up
step, each engine on each --threads count, in separate processes so that
each sets its threads before any work. Reported: seconds per step and pairs
per second, and ours against PyTorch in the same run.

    .venv/bin/python bench/body_step.py [--steps 10] [--batch-size 16] [--max-seq-length 128] [--threads 1 2]
"""
import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from body_vs_setfit import MINILM  # noqa: E402
from finetune_quality import REPO, cpu_name, isa_level, load_data  # noqa: E402

# One engine, one thread count: prints {"seconds": [...per step...]}.
STEPS = textwrap.dedent(
    """
    import json, sys, time, warnings
    warnings.filterwarnings("ignore")
    engine, model_dir, threads, batch, max_len, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    first, second, labels = json.loads(sys.stdin.read())
    n = batch * (steps + 1)
    first, second, labels = first[:n], second[:n], labels[:n]
    if engine == "ours":
        from embetter import _core
        _core.set_num_threads(threads)
        model = _core.BodyFinetuner(model_dir, max_len)
        kw = dict(loss="cosine", batch_size=batch, epochs=1, warmup_steps=1, learning_rate=2e-5, weight_decay=0.01,
                  max_grad_norm=1.0, dropout=True, shuffle=False, random_state=0)
        # A warm-up fit of one step, then the timed fit over the rest (its own
        # AdamW and schedule: the cost per step is the same).
        model.fit(first[:batch], second[:batch], labels[:batch], **kw)
        t0 = time.perf_counter()
        model.fit(first[batch:], second[batch:], labels[batch:], **kw)
        total = time.perf_counter() - t0
    else:
        import torch
        torch.set_num_threads(threads)
        import importlib
        from sentence_transformers import SentenceTransformer
        from transformers import get_linear_schedule_with_warmup
        losses = importlib.import_module("sentence_transformers.sentence_transformer.losses")
        model = SentenceTransformer(model_dir, device="cpu")
        model.max_seq_length = max_len
        model.train()
        objective = losses.CosineSimilarityLoss(model)
        no_decay = ["bias", "LayerNorm.bias", "LayerNorm.weight"]
        groups = [{"params": [p for k, p in model.named_parameters() if not any(d in k for d in no_decay)], "weight_decay": 0.01},
                  {"params": [p for k, p in model.named_parameters() if any(d in k for d in no_decay)], "weight_decay": 0.0}]
        opt = torch.optim.AdamW(groups, lr=2e-5)
        sched = get_linear_schedule_with_warmup(opt, 1, steps + 1)
        def step(s):
            a = model.tokenize(first[s:s + batch]); b = model.tokenize(second[s:s + batch])
            value = objective([a, b], torch.tensor(labels[s:s + batch]))
            opt.zero_grad(); value.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step(); sched.step()
        step(0)                                                                  # warm-up step
        t0 = time.perf_counter()
        for s in range(batch, n, batch):
            step(s)
        total = time.perf_counter() - t0
    print(json.dumps({"seconds_per_step": total / steps}))
    """
)


def pairs(n):
    texts, y, _ = load_data("imdb")
    first, second, labels = [], [], []
    for i in range(n):   # review i against review i + 1000: same label 1, else 0
        first.append(texts[i])
        second.append(texts[i + 1000])
        labels.append(float(y[i] == y[i + 1000]))
    return first, second, labels


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--max-seq-length", type=int, default=128)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    data = json.dumps(pairs(args.batch_size * (args.steps + 1)))
    print(f"all-MiniLM-L6-v2, {args.steps} steps of {args.batch_size} pairs of IMDB reviews, max_seq_length "
          f"{args.max_seq_length}, dropout on; CPU {cpu_name()}, our kernels {isa_level()}")
    print("| threads | sentence-transformers (s/step) | ours (s/step) | ours vs PyTorch |")
    print("| ---: | ---: | ---: | ---: |")
    for threads in args.threads:
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), TOKENIZERS_PARALLELISM="false",
                   PYTHONPATH=str(REPO / "python"))
        result = {}
        for engine in ("torch", "ours"):
            out = subprocess.run([sys.executable, "-c", STEPS, engine, str(MINILM), str(threads), str(args.batch_size),
                                  str(args.max_seq_length), str(args.steps)], input=data, env=env, check=True,
                                 capture_output=True, text=True).stdout
            result[engine] = json.loads(out.strip().splitlines()[-1])["seconds_per_step"]
        print(f"| {threads} | {result['torch']:.2f} | {result['ours']:.2f} | {result['torch'] / result['ours']:.2f}× |",
              flush=True)


if __name__ == "__main__":
    main()
