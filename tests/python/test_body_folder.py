"""Saving a finetuned body (_core._body_write_folder): the written folder loads
with sentence-transformers, with our SentenceEncoder and with the original
embetter, and they agree on the perturbed model's embeddings, which differ
from the source model's."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import MINILM, ROOT, SHARED, require, require_module
from embetter import _core
from embetter.text import SentenceEncoder

REFERENCE = ROOT / ".venv" / "reference-embetter"
FIXTURES = ["tiny-bert", "tiny-bert-cased-cls", "tiny-roberta", "tiny-mpnet", "tiny-bert-max"]
TEXTS = [
    "The cat sat on the mat.",
    "A quick brown fox jumps over the lazy dog",
    "Finetuning the transformer changes its embeddings.",
    "naïve café, déjà vu",
    "I loved this movie, the acting was superb!",
    "Terrible service; never again.",
    "short",
    "Numbers like 3.14159 and 2025 appear too.",
    "  leading and trailing spaces  ",
    "A somewhat longer sentence that goes on for a while, so that the model sees more than a handful of tokens.",
]


def query_weight(names):
    """Layer 0's query projection: BERT and RoBERTa call it self.query, MPNet attn.q."""
    return next(n for n in names if n.startswith("encoder.layer.0.") and n.endswith(("query.weight", "attn.q.weight")))


def write_perturbed(source, target, delta=0.05):
    """Writes `source` to `target` with `delta` added to layer 0's query weight;
    returns the tensor's name and its new values."""
    safetensors_numpy = require_module("safetensors.numpy")
    tensors = safetensors_numpy.load_file(str(source / "model.safetensors"))
    name = query_weight(tensors)
    new = (tensors[name] + np.float32(delta)).astype(np.float32)
    _core._body_write_folder(str(source), str(target), [("model.safetensors", name, 0, new)])
    return name, new


def check_folder(source, target):
    st = require_module("sentence_transformers")
    name, new = write_perturbed(source, target)
    written = require_module("safetensors.numpy").load_file(str(target / "model.safetensors"))
    np.testing.assert_array_equal(written[name], new)

    reference = st.SentenceTransformer(str(target), device="cpu").encode(TEXTS, convert_to_numpy=True)
    ours = SentenceEncoder(str(target)).transform(TEXTS)
    before = SentenceEncoder(str(source)).transform(TEXTS)
    np.testing.assert_allclose(ours, reference, atol=1e-4, rtol=0)
    change = np.abs(ours - before).max()
    print(f"{source.name}: the perturbation moves embeddings by up to {change:.3g}")
    assert change > 1e-3  # ten times the agreement tolerance
    return ours


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_folder_loads_everywhere_with_the_new_weights(name, tmp_path):
    source = require(SHARED / "fixtures" / "sbert" / name)
    check_folder(source, tmp_path / "finetuned")


# The original embetter on the written folder (run from its source in a
# subprocess, since its package name is ours); argv: folder, output .npy, its root.
ORIGINAL = """
import json, sys
import numpy as np
import embetter
assert embetter.__file__.startswith(sys.argv[3]), embetter.__file__
from embetter.text import SentenceEncoder
np.save(sys.argv[2], SentenceEncoder(sys.argv[1], device="cpu").fit_transform(json.loads(sys.argv[4])))
"""


def test_minilm_finetuned_folder_loads_in_sentence_transformers_and_both_embetters(tmp_path):
    source = require(MINILM)
    require(REFERENCE)
    target = tmp_path / "minilm-finetuned"
    ours = check_folder(source, target)

    out = tmp_path / "original.npy"
    env = dict(os.environ, PYTHONPATH=str(REFERENCE), HF_HUB_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-c", ORIGINAL, str(target), str(out), str(REFERENCE), json.dumps(TEXTS)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    np.testing.assert_allclose(np.load(out), ours, atol=1e-4, rtol=0)


def test_writing_over_the_loaded_folder_and_errors(tmp_path):
    source = require(SHARED / "fixtures" / "sbert" / "tiny-bert")
    folder = tmp_path / "model"
    _core._body_write_folder(str(source), str(folder), [])
    before = SentenceEncoder(str(folder)).transform(TEXTS)
    write_perturbed(folder, folder)  # over the folder it reads
    assert np.abs(SentenceEncoder(str(folder)).transform(TEXTS) - before).max() > 1e-3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]

    with pytest.raises(ValueError, match="no tensor named 'nope'"):
        _core._body_write_folder(str(source), str(tmp_path / "x"),
                                 [("model.safetensors", "nope", 0, np.zeros(3, np.float32))])
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "letter.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a model folder"):
        _core._body_write_folder(str(source), str(notes), [])
    assert (notes / "letter.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "notes"]
