"""LiteTextEncoder(path) reads the .skops files the original embetter 0.9.1 wrote.

The files and the oracle vectors come from the original's own
learn_lite_text_embeddings, run from its source in .venv/reference-embetter in
a subprocess (its package name is ours). The original passes its **kwargs to
both TfidfVectorizer and TruncatedSVD, so it cannot itself write a file with a
TfidfVectorizer option; for those files the subprocess binds the options into
the original module's TfidfVectorizer and runs the original function unchanged.
"""
import json
import pickle
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import ROOT, SHARED, require, require_module

from embetter import _core
from embetter.text import LiteTextEncoder

ORIGINAL_LITE = ROOT / ".venv" / "reference-embetter" / "embetter" / "text" / "_lite.py"
DIM = 24
# Ours is float32 from float32 idf/components (exact for float16; lite=False
# rounds them to float32); the original's pipeline is float64 (values ≤ 1). Measured: ≤ 6e-8.
ATOL, RTOL = 1e-6, 1e-5

# name: (lite, TfidfVectorizer options bound into the original's module)
NATIVE = {
    "default-lite": (True, {}),
    "default-full": (False, {}),
    "sublinear-min-df": (True, {"sublinear_tf": True, "min_df": 2}),
    "max-df-cased-unsmoothed": (False, {"max_df": 0.5, "min_df": 2, "lowercase": False, "smooth_idf": False}),
    # Columns in the given order, not sorted: the conversion reorders them.
    "fixed-vocabulary": (True, {"vocabulary": "the movie film was bad good great plot acting story worst best one "
                                              "characters like time really see even would well much could zombie "
                                              "love ever made".split()}),
}
DELEGATED = {"char-analyzer": (True, {"analyzer": "char"})}

ORIGINAL_SCRIPT = textwrap.dedent(
    """
    import collections, functools, importlib.util, json, sys
    from pathlib import Path
    import numpy as np
    import skops.io
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    original_lite, data, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    cases, dim = json.loads(sys.argv[4]), int(sys.argv[5])
    spec = importlib.util.spec_from_file_location("original_lite", original_lite)
    original = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(original)
    tfidf_class = original.TfidfVectorizer

    texts = [json.loads(line)["text"] for line in Path(data).read_text().splitlines()[:350]]
    train, held_out = texts[:300], texts[300:] + ["", "Ünïcödé CAFÉ déjà-vu 2024", "a b c"]
    (out / "texts.json").write_text(json.dumps(held_out))
    for name, (lite, options) in cases.items():
        original.TfidfVectorizer = functools.partial(tfidf_class, **options)
        pipe = original.learn_lite_text_embeddings(iter(train), dim=dim, lite=lite, path=str(out / f"{name}.skops"))
        # The original's LiteTextEncoder passes trusted=True, which skops >= 0.10
        # refuses; the file read back as skops allows is the same pipeline.
        path = out / f"{name}.skops"
        back = skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
        assert np.array_equal(back.transform(held_out), pipe.transform(held_out))
        np.save(out / f"{name}.npy", pipe.transform(held_out))

    few = train[:40]  # small files suffice for the refusals
    labels = np.arange(len(few)) % 2
    skops.io.dump(make_pipeline(tfidf_class(), LogisticRegression()).fit(few, labels), out / "logistic.skops")
    skops.io.dump(collections.Counter(few[0].split()), out / "counter.skops")
    with_function = tfidf_class(tokenizer=str.split, token_pattern=None)
    skops.io.dump(make_pipeline(with_function, original.TruncatedSVD(dim)).fit(few), out / "tokenizer.skops")
    """
)


@pytest.fixture(scope="module")
def original_files(tmp_path_factory):
    """The original's skops files and its pipelines' transforms of held-out texts."""
    require_module("skops")
    require(ORIGINAL_LITE)
    data = require(SHARED / "data" / "imdb-5000.jsonl")
    out = tmp_path_factory.mktemp("original-skops")
    cases = json.dumps({**NATIVE, **DELEGATED})
    subprocess.run([sys.executable, "-c", ORIGINAL_SCRIPT, str(ORIGINAL_LITE), str(data), str(out), cases, str(DIM)],
                   check=True, cwd=ROOT)
    return out


def held_out(files):
    return json.loads((files / "texts.json").read_text())


@pytest.mark.parametrize("name", sorted(NATIVE))
def test_original_skops_files_become_native_models(original_files, name, tmp_path):
    texts = held_out(original_files)
    enc = LiteTextEncoder(original_files / f"{name}.skops")
    ours = enc.transform(texts)
    assert isinstance(enc._model, _core.LiteTextEncoder)  # converted: runs natively
    assert ours.shape == (len(texts), DIM) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, np.load(original_files / f"{name}.npy"), rtol=RTOL, atol=ATOL)
    # The converted model is an ordinary one: saved in our format, pickled.
    enc.save(tmp_path / "converted.safetensors")
    np.testing.assert_array_equal(LiteTextEncoder(tmp_path / "converted.safetensors").transform(texts), ours)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(enc)).transform(texts), ours)


def test_unsupported_vectorizer_options_delegate_to_the_pipeline(original_files, tmp_path):
    texts = held_out(original_files)
    enc = LiteTextEncoder(original_files / "char-analyzer.skops")
    ours = enc.transform(texts)
    assert not isinstance(enc._model, _core.LiteTextEncoder)
    assert ours.dtype == np.float32 and list(enc.get_feature_names_out())[-1] == f"litetextencoder{DIM - 1}"
    np.testing.assert_allclose(ours, np.load(original_files / "char-analyzer.npy"), rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(enc)).transform(texts), ours)
    with pytest.raises(ValueError, match="analyzer.*keep using that skops file"):
        enc.save(tmp_path / "char.safetensors")


def test_skops_files_are_recognised_by_content_not_suffix(original_files, tmp_path):
    texts = held_out(original_files)[:5]
    renamed = shutil.copy(original_files / "default-lite.skops", tmp_path / "model.safetensors")
    np.testing.assert_array_equal(LiteTextEncoder(renamed).transform(texts),
                                  LiteTextEncoder(original_files / "default-lite.skops").transform(texts))


@pytest.mark.parametrize("name, message", [
    ("logistic", r"Pipeline of \['TfidfVectorizer', 'LogisticRegression'\]; expected a Pipeline of TfidfVectorizer "
                 r"then TruncatedSVD"),
    ("counter", r"types we do not load: \['collections.Counter'\]"),
    ("tokenizer", r"types we do not load: \['builtins.method_descriptor'\]"),
])
def test_unexpected_skops_contents_are_refused(original_files, name, message):
    path = original_files / f"{name}.skops"
    with pytest.raises(ValueError, match=f"{path.name}: .*{message}"):
        LiteTextEncoder(path).transform(["some text"])


def test_truncated_skops_file_is_a_clear_error(original_files, tmp_path):
    blob = (original_files / "default-lite.skops").read_bytes()
    path = tmp_path / "truncated.skops"
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match=r"truncated\.skops: not a readable skops file"):
        LiteTextEncoder(path).fit(["some text"])


def test_missing_skops_says_what_to_install(original_files, monkeypatch):
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install embetter\[skops\]"):
        LiteTextEncoder(original_files / "default-lite.skops").transform(["some text"])
