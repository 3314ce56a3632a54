"""Text encoders through the Python package: parity with sentence-transformers goldens, lite encoder."""
import json
import pickle

import numpy as np
import pytest

from conftest import require, require_module
from embetter.text import LiteTextEncoder, SentenceEncoder, learn_lite_text_embeddings


def golden(folder):
    rows = [json.loads(line) for line in (folder / "golden.jsonl").read_text().splitlines()]
    return [r["text"] for r in rows], np.array([r["embedding"] for r in rows], dtype=np.float32)


@pytest.mark.parametrize("name", ["tiny-bert", "tiny-bert-cased-cls", "tiny-roberta", "tiny-mpnet", "tiny-bert-max"])
def test_sentence_encoder_matches_goldens(shared, name):
    folder = require(shared / "fixtures" / "sbert" / name)
    texts, expected = golden(folder)
    got = SentenceEncoder(str(folder), batch_size=16).transform(texts)
    assert got.dtype == np.float32 and got.shape == expected.shape
    assert np.abs(got - expected).max() <= 1e-4
    cos = (got * expected).sum(1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(expected, axis=1) + 1e-12)
    nonzero = np.linalg.norm(expected, axis=1) > 0
    assert cos[nonzero].min() >= 0.99999


def test_sentence_encoder_accepts_series_and_pickles(shared):
    import pandas as pd

    folder = require(shared / "fixtures" / "sbert" / "tiny-bert")
    enc = SentenceEncoder(str(folder))
    a = enc.transform(pd.Series(["hello world", "second text"]))
    b = pickle.loads(pickle.dumps(enc)).transform(("hello world", "second text"))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="position 1"):
        enc.transform(["ok", 3])
    # One string is one vector, as the original's SentenceTransformer.encode gives.
    one = enc.transform("hello world")
    assert one.shape == (a.shape[1],)
    np.testing.assert_array_equal(one, a[0])


@pytest.mark.parametrize("name", ["tiny-bert", "tiny-roberta", "tiny-mpnet"])
def test_tfm_offers_what_embetter_code_uses_from_a_sentence_transformer(shared, name):
    folder = require(shared / "fixtures" / "sbert" / name)
    rows = [json.loads(line) for line in (folder / "golden.jsonl").read_text().splitlines()][:20]
    config = json.loads((folder / "sentence_bert_config.json").read_text())
    enc = SentenceEncoder(str(folder))
    tfm = enc.tfm
    assert tfm.max_seq_length == config["max_seq_length"]
    texts = [r["text"] for r in rows]
    expected = enc.transform(texts)
    assert tfm.get_sentence_embedding_dimension() == expected.shape[1]
    np.testing.assert_array_equal(tfm.encode(texts), expected)
    np.testing.assert_array_equal(tfm.encode(texts[0]), expected[0])
    unit = tfm.encode(texts, normalize_embeddings=True)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, rtol=1e-5)
    # The token ids sentence-transformers' tokenizer gave for the goldens.
    for r in rows:
        assert tfm.tokenizer.encode(r["text"]) == r["input_ids"][: config["max_seq_length"]]
    with pytest.raises(TypeError, match="device"):
        tfm.encode(texts, device="cuda")
    with pytest.raises(ValueError, match="numpy"):
        tfm.encode(texts, convert_to_numpy=False)


def test_sentence_encoder_missing_model_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ValueError, match="no-such-model"):
        SentenceEncoder("someone/no-such-model").transform(["x"])


def test_lite_encoder_learn_save_load_pickle(tmp_path, shared):
    data = require(shared / "data" / "imdb-5000.jsonl")
    texts = [json.loads(line)["text"] for line in data.read_text().splitlines()[:400]]
    enc = learn_lite_text_embeddings(iter(texts), dim=32, path=tmp_path / "lite.safetensors", random_state=0)
    X = enc.transform(texts[:10])
    assert X.shape == (10, 32) and X.dtype == np.float32
    loaded = LiteTextEncoder(tmp_path / "lite.safetensors")
    np.testing.assert_array_equal(loaded.transform(texts[:10]), X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(enc)).transform(texts[:10]), X)
    with pytest.raises(ValueError, match="at least one text"):
        LiteTextEncoder(dim=4).fit([])
    with pytest.raises(ValueError, match="position 0 is not valid Unicode"):
        enc.transform(["bad \udcff text"])


def test_encoders_name_their_features_for_pandas_output(shared):
    folder = require(shared / "fixtures" / "sbert" / "tiny-bert")
    enc = SentenceEncoder(str(folder)).set_output(transform="pandas")
    out = enc.fit_transform(["hello world", "second text"])
    assert list(out.columns) == [f"sentenceencoder{i}" for i in range(out.shape[1])]
    lite = LiteTextEncoder(dim=3, random_state=0).fit(["red green blue", "green blue cyan", "blue cyan pink", "cyan pink gold"])
    assert list(lite.get_feature_names_out()) == ["litetextencoder0", "litetextencoder1", "litetextencoder2"]


def test_set_params_rebuilds_the_loaded_encoder(shared):
    folder = require(shared / "fixtures" / "sbert" / "tiny-bert")
    enc = SentenceEncoder(str(folder))
    raw = enc.fit(["hello world"]).transform(["hello world"])
    normalized = enc.set_params(normalize_embeddings=True).transform(["hello world"])
    np.testing.assert_allclose(normalized, raw / np.linalg.norm(raw), rtol=1e-5)


def test_byte_pair_encoder_aggregations(shared):
    from sklearn.base import clone

    from embetter.text import BytePairEncoder

    files = shared / "data" / "en.wiki.bpe.vs1000.model", shared / "data" / "en.wiki.bpe.vs1000.d25.w2v.bin"
    texts = ["This is anarchism 101", "HELLO World!! Mixed CaSe", ""]
    mean, most, both = (BytePairEncoder(model_file=str(files[0]), vectors_file=str(files[1]), agg=agg).fit(texts).transform(texts)
                        for agg in ("mean", "max", "both"))
    assert mean.shape == most.shape == (3, 25) and both.shape == (3, 50)
    assert (both == np.hstack([mean, most])).all()  # the documented "both": mean, then max
    assert (most[:2] >= mean[:2]).all() and (most[:2] > mean[:2]).any()
    assert not most[2].any()  # no pieces: zeros
    enc = clone(BytePairEncoder(model_file=str(files[0]), vectors_file=str(files[1]), agg="max"))
    assert enc.get_params()["agg"] == "max"
    assert (pickle.loads(pickle.dumps(enc.fit(texts))).transform(texts) == most).all()
    with pytest.raises(ValueError, match=r"\['mean', 'max', 'both'\]; got 'sum'"):
        BytePairEncoder(model_file=str(files[0]), vectors_file=str(files[1]), agg="sum").fit(texts)


def test_byte_pair_encoder_long_list_in_windows(shared):
    """More texts than the static encoders convert at a time (4096): the rows
    are those of shorter calls, bit for bit, for each aggregation's width."""
    from embetter.text import BytePairEncoder

    files = shared / "data" / "en.wiki.bpe.vs1000.model", shared / "data" / "en.wiki.bpe.vs1000.d25.w2v.bin"
    texts = ["review %d: %s" % (i, "quite good " * (i % 7)) for i in range(4500)]
    for agg in ("mean", "both"):
        enc = BytePairEncoder(model_file=str(files[0]), vectors_file=str(files[1]), agg=agg)
        whole = enc.transform(texts)
        assert whole.shape == (4500, 25 if agg == "mean" else 50) and whole.dtype == np.float32
        np.testing.assert_array_equal(whole, np.vstack([enc.transform(texts[:3000]), enc.transform(texts[3000:])]))
    assert enc.transform([]).shape == (0, 50)


def test_sentence_encoder_progress_bar(shared, capfd):
    folder = require(shared / "fixtures" / "sbert" / "tiny-bert")
    texts = ["text %d" % i for i in range(70)]
    SentenceEncoder(str(folder), batch_size=32, show_progress_bar=True).transform(texts)
    err = capfd.readouterr().err
    assert "Batches: [" in err and err.rstrip().endswith("3/3"), err  # drawn although Ctrl-C is checked too
    SentenceEncoder(str(folder), batch_size=32).transform(texts)
    assert capfd.readouterr().err == ""


def test_sentence_encoder_long_list_in_windows(shared):
    """More texts than are converted and tokenised at a time (2048): the rows
    are those of shorter calls, bit for bit."""
    folder = require(shared / "fixtures" / "sbert" / "tiny-bert")
    enc = SentenceEncoder(str(folder), batch_size=64)
    texts = ["text number %d, %s" % (i, "long " * (i % 13)) for i in range(2100)]
    whole = enc.transform(texts)
    np.testing.assert_array_equal(whole, np.vstack([enc.transform(texts[:1000]), enc.transform(texts[1000:])]))


def test_text_encoder_takes_a_model2vec_static_model_as_the_original_does(shared):
    model2vec = pytest.importorskip("model2vec")
    from tokenizers import Tokenizer

    from embetter.text import TextEncoder

    folder = require(shared / "fixtures" / "sbert" / "tiny-bert")
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    vectors = np.random.default_rng(5).standard_normal((tokenizer.get_vocab_size(), 12)).astype(np.float32)
    static = model2vec.StaticModel(vectors, tokenizer, normalize=True)
    texts, _ = golden(folder)
    ours = TextEncoder(static).transform(texts)
    np.testing.assert_allclose(ours, static.encode(texts), atol=1e-5)
    with pytest.raises(TypeError, match="StaticModel"):
        TextEncoder(model=42).transform(["a text"])


def _to_pytorch_model_bin(src, dst):
    """`src` copied to `dst` with every model.safetensors replaced by a torch.save'd pytorch_model.bin."""
    import shutil

    torch = require_module("torch")
    from safetensors.torch import load_file

    shutil.copytree(src, dst)
    for st in dst.rglob("model.safetensors"):
        torch.save(load_file(str(st)), st.parent / "pytorch_model.bin")
        st.unlink()
    return dst


@pytest.mark.parametrize("name", ["tiny-bert", "tiny-mpnet"])
def test_sentence_encoder_reads_a_folder_with_only_pytorch_model_bin(shared, tmp_path, name):
    folder = require(shared / "fixtures" / "sbert" / name)
    converted = _to_pytorch_model_bin(folder, tmp_path / name)
    assert not list(converted.rglob("*.safetensors"))
    texts, _ = golden(folder)
    np.testing.assert_array_equal(SentenceEncoder(str(converted)).transform(texts[:20]),
                                  SentenceEncoder(str(folder)).transform(texts[:20]))


def test_pickled_code_in_pytorch_model_bin_is_never_run(shared, tmp_path):
    import zipfile

    folder = require(shared / "fixtures" / "sbert" / "tiny-bert")
    converted = _to_pytorch_model_bin(folder, tmp_path / "evil")
    marker = tmp_path / "pwned"
    bin_path = converted / "pytorch_model.bin"
    with zipfile.ZipFile(bin_path) as z:
        entries = {i.filename: z.read(i.filename) for i in z.infolist()}
    evil = b"\x80\x02cos\nsystem\nX" + len(f"touch {marker}").to_bytes(4, "little") + f"touch {marker}".encode() + b"\x85R."
    with zipfile.ZipFile(bin_path, "w") as z:
        for name, data in entries.items():
            z.writestr(name, evil if name.endswith("/data.pkl") else data)
    with pytest.raises(ValueError, match="GLOBAL 'os.system' is not allowed"):
        SentenceEncoder(str(converted)).transform(["x"])
    assert not marker.exists()
