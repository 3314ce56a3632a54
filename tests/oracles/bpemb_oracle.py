"""Reference BPEmb embeddings for tests/unit/encoders (BytePairEncoder).

argv[1]: output folder, argv[2]: the shared folder. Reproduces bpemb's BPEmb.embed
(preprocess = re.sub(r"\\d", "0", text.lower()), sentencepiece EncodeAsIds, rows of
the word2vec vectors) with the `sentencepiece` library; the vectors are read with
numpy in gensim's binary word2vec layout, so no gensim is needed.
Writes bpemb.json: [{text, preprocessed, ids, pieces, mean, max}] (mean/max null
for a text without pieces, where BPEmb's mean would be NaN).
"""
import json
import re
import sys
from pathlib import Path

import numpy as np
import sentencepiece

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
data = Path(sys.argv[2]) / "data"


def load_word2vec_binary(path):
    raw = path.read_bytes()
    header, pos = raw.split(b"\n", 1)[0], raw.index(b"\n") + 1
    count, dim = map(int, header.split())
    words, rows = [], np.empty((count, dim), dtype=np.float32)
    for i in range(count):
        while raw[pos:pos + 1] == b"\n":
            pos += 1
        space = raw.index(b" ", pos)
        words.append(raw[pos:space].decode("utf-8"))
        pos = space + 1
        rows[i] = np.frombuffer(raw, dtype="<f4", count=dim, offset=pos)
        pos += 4 * dim
    return words, rows


def preprocess(text):
    return re.sub(r"\d", "0", text.lower())


spm = sentencepiece.SentencePieceProcessor()
spm.Load(str(data / "en.wiki.bpe.vs1000.model"))
words, vectors = load_word2vec_binary(data / "en.wiki.bpe.vs1000.d25.w2v.bin")

texts = [
    "This is anarchism 101",
    "Stratford-upon-Avon, 1564–1616.",
    "HELLO World!! Mixed CaSe",
    "Café naïve résumé façade",
    "İstanbul'da ΣΊΣΥΦΟΣ ΟΔΟΣ",  # Python's full lowercase: İ → i̇, final sigma
    "Arabic-Indic digits ٣٤٥ and fullwidth １２３ and superscript ²",
    "日本語のテキスト 中文句子",
    "emoji 🙂👍🏽 and symbols © ™ ∑",
    "tabs\tand\nnewlines\r\n and   spaces",
    "zero\u200bwidth\u200djoiner",
    "",
    "   ",
    "a",
    "x" * 500,
    "The quick brown fox jumps over the lazy dog. " * 20,
]
for name in ("data-quality.jsonl", "new-dataset.jsonl"):
    with open(data / name, encoding="utf-8") as f:
        texts += [json.loads(line)["text"] for _, line in zip(range(150), f)]

records = []
for text in texts:
    pre = preprocess(text)
    ids = spm.EncodeAsIds(pre)
    emb = vectors[ids]
    records.append({
        "text": text,
        "preprocessed": pre,
        "ids": ids,
        "pieces": spm.EncodeAsPieces(pre),
        "mean": emb.mean(axis=0).tolist() if ids else None,
        "max": emb.max(axis=0).tolist() if ids else None,
    })
(out / "bpemb.json").write_text(json.dumps({"words": words, "records": records}, ensure_ascii=False))
