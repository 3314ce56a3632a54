"""Reference model2vec embeddings for tests/unit/encoders (TextEncoder).

argv[1]: output folder, argv[2]: the shared folder. No real model2vec model is
available offline, so this builds small ones in model2vec's own format with
StaticModel(...).save_pretrained (random vectors over the sbert fixtures'
tokenizers), reloads each with StaticModel.from_pretrained, as users do, and
encodes the 117 golden texts of tiny-bert (accents, CJK, emoji, control
characters, empty and long texts). Writes models/<name>/ and model2vec.json:
{"texts": [...], "models": {name: {"normalize", "max_length", "ids", "embeddings"}}}.
"""
import json
import sys
from pathlib import Path

import numpy as np
from model2vec import StaticModel
from tokenizers import Tokenizer

out = Path(sys.argv[1])
fixtures = Path(sys.argv[2]) / "fixtures" / "sbert"
(out / "models").mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(1234)

with open(fixtures / "tiny-bert" / "golden.jsonl", encoding="utf-8") as f:
    texts = [json.loads(line)["text"] for line in f]
texts += ["word " * 700, "unbelievably " * 3 + "x" * 40]  # longer than any max_length here


def build(name, fixture, dtype=np.float32, normalize=False, max_length=512, quantized=False):
    tokenizer = Tokenizer.from_file(str(fixtures / fixture / "tokenizer.json"))
    vocab = tokenizer.get_vocab_size()
    vectors = rng.standard_normal((vocab, 16)).astype(dtype)
    extra = {}
    if quantized:  # what model2vec's vocabulary quantization stores: clusters + mapping + weights
        extra["token_mapping"] = rng.integers(0, 32, size=vocab).astype(np.int32)
        extra["weights"] = rng.uniform(0.5, 2.0, size=vocab).astype(np.float32)
        vectors = rng.standard_normal((32, 16)).astype(dtype)
    model = StaticModel(vectors, tokenizer, normalize=normalize, max_length=max_length, **extra)
    folder = out / "models" / name
    model.save_pretrained(folder)
    return StaticModel.from_pretrained(folder)


models = {
    "wordpiece-normalized": build("wordpiece-normalized", "tiny-bert", normalize=True),
    "bpe-truncated": build("bpe-truncated", "tiny-roberta", max_length=12),
    "quantized-no-limit": build("quantized-no-limit", "tiny-bert-cased-cls", max_length=None, quantized=True),
    "float16": build("float16", "tiny-mpnet", dtype=np.float16, normalize=True, max_length=20),
}

result = {"texts": texts, "models": {}}
for name, model in models.items():
    cut = texts if model.max_length is None else [t[: model.max_length * model.median_token_length] for t in texts]
    result["models"][name] = {
        "normalize": model.normalize,
        "max_length": model.max_length,
        "median_token_length": model.median_token_length,
        "ids": model.tokenize(cut),
        "embeddings": model.encode(texts).astype(np.float64).tolist(),
    }
(out / "model2vec.json").write_text(json.dumps(result, ensure_ascii=False))
