"""Writes the fuzz targets' committed inputs (tests/fuzz, issue 18):

  models/tiny-sbert/      a sentence-transformers folder shrunk from the
                          tiny-bert fixture (hidden 8, one layer, 16 tokens),
                          with a Dense module: the base the sentence_folder
                          target changes one file of;
  models/tiny-model2vec/  a model2vec folder of the same size (model2vec_folder);
  corpus/image/           tiny JPEG, PNG and WebP files written by Pillow,
                          with and without EXIF orientation (image_seeds);
  corpus/<target>/        seed inputs, small, each a valid file of its kind
                          (targets that pick a file or a tokenizer by the first
                          byte get that byte in front).

Run once when a format changes, from the repository root:
  PYTHONPATH=python .venv/bin/python tests/fuzz/make_corpus.py ../shared
"""
import json
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import save, save_file

HERE = Path(__file__).resolve().parent
SHARED = Path(sys.argv[1] if len(sys.argv) > 1 else HERE.parents[2] / "shared")
FIXTURES = SHARED / "fixtures" / "sbert"

# Sizes of the shrunk model; the fixture's sizes map onto them.
TINY = {"vocab_size": 16, "max_position_embeddings": 16, "hidden_size": 8, "intermediate_size": 16}


def seed(target: str, name: str, data: bytes, prefix: int | None = None) -> None:
    folder = HERE / "corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes((bytes([prefix]) if prefix is not None else b"") + data)


def small_wordpiece(tokens: list[str]) -> dict:
    """The tiny-bert fixture's tokenizer.json with a vocabulary of `tokens`."""
    tok = json.loads((FIXTURES / "tiny-bert" / "tokenizer.json").read_text())
    tok["model"]["vocab"] = {t: i for i, t in enumerate(tokens)}
    tok["added_tokens"] = [a | {"id": tokens.index(a["content"])} for a in tok["added_tokens"] if a["content"] in tokens]
    for name, entry in tok["post_processor"].get("special_tokens", {}).items():
        entry["ids"] = [tokens.index(name)]
    return tok


TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", "##s", "a", ",", ".", "hello",
          "world"]


def tiny_sbert(out: Path) -> None:
    src = FIXTURES / "tiny-bert"
    config = json.loads((src / "config.json").read_text())
    sizes = {config[k]: v for k, v in TINY.items()}
    config.update(TINY, num_hidden_layers=1, num_attention_heads=2)
    from safetensors import safe_open
    tensors = {}
    rng = np.random.default_rng(0)
    with safe_open(str(src / "model.safetensors"), "np") as f:
        for name in f.keys():
            if ".layer." in name and ".layer.0." not in name:
                continue
            shape = [sizes.get(d, d) for d in f.get_slice(name).get_shape()]
            tensors[name] = (rng.standard_normal(shape) * 0.1).astype(np.float32)
            if "LayerNorm.weight" in name:
                tensors[name] = np.ones(shape, np.float32)
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / "model.safetensors"))
    (out / "config.json").write_text(json.dumps(config, indent=1))
    (out / "tokenizer.json").write_text(json.dumps(small_wordpiece(TOKENS)))
    (out / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 12, "do_lower_case": False}))
    (out / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
        {"idx": 3, "name": "3", "path": "3_Normalize", "type": "sentence_transformers.models.Normalize"},
    ], indent=1))
    (out / "1_Pooling").mkdir(exist_ok=True)
    (out / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 8, "pooling_mode": "mean"}))
    (out / "2_Dense").mkdir(exist_ok=True)
    (out / "2_Dense" / "config.json").write_text(json.dumps(
        {"in_features": 8, "out_features": 4, "bias": True, "activation_function": "torch.nn.modules.activation.Tanh"}))
    save_file({"linear.weight": (rng.standard_normal((4, 8)) * 0.1).astype(np.float32),
               "linear.bias": np.zeros(4, np.float32)}, str(out / "2_Dense" / "model.safetensors"))
    (out / "3_Normalize").mkdir(exist_ok=True)


def tiny_model2vec(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    save_file({"embeddings": rng.standard_normal((len(TOKENS), 4)).astype(np.float32),
               "weights": np.linspace(0.5, 1.5, len(TOKENS)).astype(np.float32)}, str(out / "model.safetensors"))
    (out / "tokenizer.json").write_text(json.dumps(small_wordpiece(TOKENS)))
    (out / "config.json").write_text(json.dumps({"model_type": "model2vec", "normalize": True, "seq_length": 32}))


# The files of a folder target, in the order of the first byte's choice
# (the C++ targets list the same names).
SBERT_FILES = ["config.json", "modules.json", "1_Pooling/config.json", "sentence_bert_config.json",
               "2_Dense/config.json", "model.safetensors"]
MODEL2VEC_FILES = ["config.json", "tokenizer.json", "model.safetensors"]


def main() -> None:
    sbert, m2v = HERE / "models" / "tiny-sbert", HERE / "models" / "tiny-model2vec"
    tiny_sbert(sbert)
    tiny_model2vec(m2v)
    for i, name in enumerate(SBERT_FILES):
        seed("sentence_folder", f"{i}-{name.replace('/', '-')}", (sbert / name).read_bytes(), prefix=i)
    for name in ("tiny-roberta", "tiny-mpnet", "tiny-bert-max"):
        seed("sentence_folder", f"0-{name}-config.json", (FIXTURES / name / "config.json").read_bytes(), prefix=0)
        seed("sentence_folder", f"2-{name}-pooling.json", (FIXTURES / name / "1_Pooling" / "config.json").read_bytes(),
             prefix=2)
    for i, name in enumerate(MODEL2VEC_FILES):
        seed("model2vec_folder", f"{i}-{name}", (m2v / name).read_bytes(), prefix=i)

    seed("safetensors", "tiny-sbert.safetensors", (sbert / "model.safetensors").read_bytes())
    seed("safetensors", "dense.safetensors", (sbert / "2_Dense" / "model.safetensors").read_bytes())
    seed("safetensors", "model2vec.safetensors", (m2v / "model.safetensors").read_bytes())
    seed("safetensors", "dtypes.safetensors", save({
        "f16": np.arange(6, dtype=np.float16).reshape(2, 3), "i8": np.arange(4, dtype=np.int8),
        "i64": np.arange(3, dtype=np.int64), "scalar": np.array(1.5, np.float32),
        "empty": np.zeros((0, 3), np.float32), "f64": np.arange(2, dtype=np.float64)}, metadata={"format": "pt"}))

    # tokenizer.json: the fixtures' pipelines with a small vocabulary.
    seed("tokenizer_json", "wordpiece.json", json.dumps(small_wordpiece(TOKENS)).encode())
    cased = json.loads((FIXTURES / "tiny-bert-cased-cls" / "tokenizer.json").read_text())
    cased["model"]["vocab"] = {t: i for i, t in enumerate(TOKENS)}
    cased["added_tokens"] = []
    cased["post_processor"] = {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]}
    seed("tokenizer_json", "wordpiece-cased.json", json.dumps(cased).encode())
    for name in ("tiny-roberta", "tiny-mpnet"):
        tok = json.loads((FIXTURES / name / "tokenizer.json").read_text())
        vocab = tok["model"]["vocab"]
        keep = dict(list(vocab.items())[:300])
        tok["model"]["vocab"] = keep
        if "merges" in tok["model"]:
            def ok(m):
                a, b = m if isinstance(m, list) else m.split(" ")
                return a in keep and b in keep and a + b in keep
            tok["model"]["merges"] = [m for m in tok["model"]["merges"] if ok(m)]
        tok["added_tokens"] = [a for a in tok["added_tokens"] if a["id"] < 300]
        seed("tokenizer_json", f"{name}.json", json.dumps(tok).encode())
    seed("tokenizer_json", "unigram-metaspace.json", json.dumps({
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [
            {"id": 0, "content": "<unk>", "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}],
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Replace",
                       "pattern": {"String": "  "}, "content": " "}]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": True},
        "post_processor": None, "decoder": None,
        "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": False,
                  "vocab": [["<unk>", 0.0], ["▁the", -1.0], ["▁cat", -2.0], ["▁", -3.0], ["t", -4.0], ["h", -4.0],
                            ["e", -4.0], ["c", -4.0], ["a", -4.0], ["s", -5.0]]}}).encode())

    # Arbitrary text for each fixture tokenizer (the target picks one by the first byte).
    texts = ["Hello, world!", "Ünïcödé ẞ 東京 🙂 café", "don't STOP 123.45 #hash @user", "a\u0301\u0302 \u200b\t\n x",
             "supercalifragilisticexpialidocious" * 4]
    for i, text in enumerate(texts):
        seed("tokenizer_encode", f"text-{i}", text.encode(), prefix=i)

    # .npy
    import io
    for name, array in {"f32": np.arange(12, dtype=np.float32).reshape(3, 4), "f64": np.ones((2, 2)),
                        "f16": np.ones((1, 3), np.float16), "fortran": np.asfortranarray(np.eye(3, dtype=np.float32)),
                        "vector": np.arange(5, dtype=np.float32), "empty": np.zeros((0, 4), np.float32)}.items():
        buf = io.BytesIO()
        np.save(buf, array)
        seed("npy", f"{name}.npy", buf.getvalue())

    # .jsonl and .txt
    seed("text_files", "records.jsonl", b'{"text": "a good film", "label": "pos"}\n{"text": "bad", "label": "neg"}\n'
                                        b'\n{"text": "caf\\u00e9 \xc3\xa9", "label": "pos", "x": [1, {"y": null}]}\n')
    seed("text_files", "lines.txt", b"first line\r\nsecond\n\n  \nlast without newline")

    # Our own model files, fitted small, from the Python package built in python/.
    from embetter.finetune import ContrastiveLearner, ContrastiveTuner, FeedForwardTuner
    from embetter.text import LiteTextEncoder
    X = rng_x = np.random.default_rng(2).standard_normal((12, 6)).astype(np.float32)
    y = np.array(["a", "b", "c"] * 4)
    ff = FeedForwardTuner(hidden_dim=4, n_epochs=2, random_state=0).fit(X, y)
    seed("tuner_files", "feed_forward", bytes(ff._model.to_bytes()), prefix=0)
    ct = ContrastiveTuner(hidden_dim=4, epochs=1, random_state=0).fit(X, y)
    seed("tuner_files", "contrastive_tuner", bytes(ct._model.to_bytes()), prefix=1)
    cl = ContrastiveLearner(shape_out=4, epochs=1, random_state=0).fit(X[:6], X[6:], np.array([0, 1] * 3))
    seed("tuner_files", "contrastive_learner", bytes(cl._model.to_bytes()), prefix=2)
    lite = LiteTextEncoder(dim=3, random_state=0).fit(["the cat sat", "on the mat", "a dog barked", "cats and dogs",
                                                        "the end"])
    seed("lite_encoder", "lite", bytes(lite._model.to_bytes()))

    # word2vec binary (BPEmb's format): "<count> <dim>\n" then "word " + dim float32 each.
    words = ["▁the", "▁cat", "s", "</s>"]
    body = b"".join(w.encode() + b" " + np.arange(3, dtype=np.float32).tobytes() + b"\n" for w in words)
    seed("word2vec", "vectors.bin", f"{len(words)} 3\n".encode() + body)
    bpemb = SHARED / "data" / "en.wiki.bpe.vs1000.d25.w2v.bin"
    head = bpemb.read_bytes()
    lines, pos = 0, head.index(b"\n") + 1
    while lines < 20:  # the first 20 vectors of the real BPEmb file
        pos = head.index(b" ", pos) + 1 + 25 * 4
        pos += head[pos:pos + 1] == b"\n"
        lines += 1
    seed("word2vec", "bpemb-20.bin", b"20 25\n" + head[head.index(b"\n") + 1:pos])
    image_seeds()
    torch_checkpoint_seeds()


def torch_checkpoint_seeds() -> None:
    """Small pytorch_model.bin files as torch.save writes them: a module's
    state dict (OrderedDict + _metadata), every dtype, views sharing a storage
    (first byte 0: a whole archive); and data.pkl alone (first byte 1: the
    target adds nn.Linear(3, 2)'s storages)."""
    import io
    import zipfile

    import torch

    torch.manual_seed(0)
    small = {
        "linear": torch.nn.Linear(3, 2).state_dict(),
        "dtypes": {"f32": torch.ones(2, 3), "f16": torch.ones(2, dtype=torch.float16),
                   "bf16": torch.ones(2, dtype=torch.bfloat16), "ids": torch.arange(4).unsqueeze(0),
                   "scalar": torch.tensor(1.5), "empty": torch.zeros(0, 2)},
    }
    base = torch.arange(12.0).reshape(3, 4)
    small["views"] = {"base": base, "row": base[1], "t": base.t(), "step": base[:, ::2]}
    for name, state in small.items():
        buf = io.BytesIO()
        torch.save(state, buf)
        seed("torch_checkpoint", f"{name}.bin", buf.getvalue(), prefix=0)
        if name == "linear":
            pickle = zipfile.ZipFile(io.BytesIO(buf.getvalue())).read("archive/data.pkl")
            seed("torch_checkpoint", f"{name}.pkl", pickle, prefix=1)


def image_seeds() -> None:
    """Small images of every kind the decoders take: grey, grey + alpha, RGB,
    RGBA and palette; JPEG (baseline, progressive, with an EXIF orientation),
    PNG (with an eXIf chunk) and WebP (lossy, lossless, with EXIF)."""
    import io

    from PIL import Image

    rng = np.random.default_rng(3)
    rgb = Image.fromarray(rng.integers(0, 256, size=(6, 9, 3), dtype=np.uint8), "RGB")
    exif = Image.Exif()
    exif[0x0112] = 6   # orientation: rotate 90° clockwise to display
    images = {"grey": rgb.convert("L"), "grey-alpha": rgb.convert("LA"), "rgb": rgb, "rgba": rgb.convert("RGBA"),
              "palette": rgb.convert("P")}
    for name, image in images.items():
        buf = io.BytesIO()
        image.save(buf, "PNG", exif=exif if name == "rgb" else None)
        seed("image", f"{name}.png", buf.getvalue())
    for name, kwargs in {"baseline": {}, "progressive": {"progressive": True}, "exif": {"exif": exif},
                         "grey": {}}.items():
        buf = io.BytesIO()
        (rgb.convert("L") if name == "grey" else rgb).save(buf, "JPEG", quality=80, **kwargs)
        seed("image", f"{name}.jpg", buf.getvalue())
    for name, kwargs in {"lossy": {"quality": 70}, "lossless": {"lossless": True}, "exif": {"exif": exif}}.items():
        buf = io.BytesIO()
        (rgb.convert("RGBA") if name == "lossless" else rgb).save(buf, "WEBP", **kwargs)
        seed("image", f"{name}.webp", buf.getvalue())


if __name__ == "__main__":
    main()
