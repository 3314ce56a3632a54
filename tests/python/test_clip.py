"""embetter.multi.ClipEncoder on the tiny CLIP folders of tests/oracles/clip_oracle.py
(written by ctest's oracle.clip into build/oracles/clip, or here when missing):
texts and images (Pillow, uint8 arrays, paths) against sentence-transformers'
goldens, mixed lists, the ImageLoader → ClipEncoder → LogisticRegression
pipeline, int8, pickling and errors."""
import json
import pickle

import numpy as np
import pytest
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from conftest import assert_embeddings_close, oracle_folder, require
from embetter.multi import ClipEncoder
from embetter.vision import ImageLoader

FIXTURES = ["hf-clip", "st-clip-hub", "st-clip-saved"]


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    return oracle_folder("clip", FIXTURES, tmp_path_factory.mktemp("oracle"))


def golden(oracle, name):
    return json.loads((oracle / name / "golden.json").read_text())


@pytest.mark.parametrize("name", FIXTURES)
def test_texts_and_images_match_sentence_transformers(oracle, name):
    g = golden(oracle, name)
    enc = ClipEncoder(name=str(oracle / name), batch_size=4)
    assert_embeddings_close(enc.transform(g["texts"]), g["text_embeddings"])
    paths = [oracle / name / "images" / f for f in g["images"]]
    pil = [Image.open(p) for p in paths]
    assert [im.mode for im in pil] == g["image_modes"]
    from_pil = enc.transform(pil)
    assert_embeddings_close(from_pil, g["image_embeddings"])
    # Paths (pathlib) are decoded in C++; numpy arrays are taken as Pillow's pixels.
    assert_embeddings_close(enc.transform(paths), g["image_embeddings"])
    rgb = [np.asarray(im.convert("RGB")) for im in pil]
    assert_embeddings_close(enc.transform(rgb[:3]), g["image_embeddings"][:3])


def test_mixed_lists_keep_their_order_and_single_items_give_vectors(oracle):
    g = golden(oracle, "hf-clip")
    enc = ClipEncoder(name=str(oracle / "hf-clip"))
    texts = g["texts"][:3]
    images = [Image.open(oracle / "hf-clip" / "images" / f) for f in g["images"][:2]]
    mixed = enc.transform([texts[0], images[0], texts[1], images[1], texts[2]])
    np.testing.assert_array_equal(mixed[[0, 2, 4]], enc.transform(texts))
    np.testing.assert_array_equal(mixed[[1, 3]], enc.transform(images))
    one = enc.transform(texts[0])
    assert one.shape == (g["dim"],)
    np.testing.assert_array_equal(one, mixed[0])
    np.testing.assert_array_equal(enc.transform(images[0]), mixed[1])
    import pandas as pd

    np.testing.assert_array_equal(enc.transform(pd.Series(texts)), mixed[[0, 2, 4]])
    assert enc.transform([]).shape == (0, g["dim"])


def test_image_loader_clip_encoder_logistic_regression(oracle):
    folder = oracle / "hf-clip"
    paths = [str(folder / "images" / f) for f in golden(oracle, "hf-clip")["images"]]
    y = ["a", "b"] * (len(paths) // 2)
    pipe = make_pipeline(ImageLoader(convert="RGB"), ClipEncoder(name=str(folder)), LogisticRegression(C=100))
    pipe.fit(paths, y)
    assert list(pipe.predict(paths)) == y
    assert pipe.predict_proba(paths).shape == (len(paths), 2)


def test_quantize_is_int8_close_to_fp32(oracle):
    folder = str(oracle / "st-clip-hub")
    g = golden(oracle, "st-clip-hub")
    fp32 = ClipEncoder(name=folder).transform(g["texts"])
    int8 = ClipEncoder(name=folder, quantize=True).transform(g["texts"])
    assert not np.array_equal(fp32, int8)
    cos = (fp32 * int8).sum(1) / np.linalg.norm(fp32, axis=1) / np.linalg.norm(int8, axis=1)
    assert cos.min() >= 0.999
    np.testing.assert_array_equal(ClipEncoder(name=folder, precision="int8").transform(g["texts"]), int8)
    with pytest.raises(ValueError, match="quantize=True asks for int8"):
        ClipEncoder(name=folder, quantize=True, precision="bf16").transform(["x"])


def test_pickles_without_weights_and_normalizes(oracle):
    enc = ClipEncoder(name=str(oracle / "hf-clip"), normalize_embeddings=True, num_threads=1)
    X = enc.fit(["a"]).transform(["a photo of a cat", "x"])
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-6)
    copy = pickle.loads(pickle.dumps(enc))
    assert "_enc" not in copy.__dict__
    np.testing.assert_array_equal(copy.transform(["a photo of a cat", "x"]), X)
    assert enc.get_feature_names_out()[0] == "clipencoder0"
    assert enc.get_params()["name"] == str(oracle / "hf-clip")


def test_errors_say_what_is_wrong(oracle, tmp_path):
    enc = ClipEncoder(name=str(oracle / "hf-clip"))
    with pytest.raises(TypeError, match="item 1 is a int"):
        enc.transform(["a text", 3])
    with pytest.raises(ValueError, match="expected uint8"):
        enc.transform([np.zeros((8, 8, 3), dtype=np.float32)])
    with pytest.raises(ValueError, match="channels"):
        enc.transform([np.zeros((8, 8, 5), dtype=np.uint8)])
    with pytest.raises(OSError, match="missing.png"):
        enc.transform([tmp_path / "missing.png"])
    with pytest.raises(ValueError, match="device 'cuda' is not supported"):
        ClipEncoder(name=str(oracle / "hf-clip"), device="cuda").transform(["x"])
    with pytest.raises(ValueError, match="does not exist"):
        ClipEncoder(name=str(tmp_path / "no-such-model")).transform(["x"])
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"model_type": "clip"}))
    with pytest.raises(ValueError, match="no model.safetensors"):
        ClipEncoder(name=str(broken)).transform(["x"])


def test_text_only_models_run_as_sentence_encoder(shared):
    from embetter.text import SentenceEncoder

    tiny = str(require(shared / "fixtures" / "sbert" / "tiny-bert"))
    texts = ["a photo of a cat", "ein Foto einer Katze"]
    np.testing.assert_array_equal(ClipEncoder(name=tiny).transform(texts), SentenceEncoder(name=tiny).transform(texts))
    with pytest.raises(ValueError, match="encodes texts only"):
        ClipEncoder(name=tiny).transform([np.zeros((8, 8, 3), dtype=np.uint8)])


def test_a_checkpoint_in_pytorch_model_bin_only_gives_the_same_embeddings(oracle, tmp_path):
    """The hub's clip-ViT-B-32 ships only pytorch_model.bin (torch.save's format)."""
    import shutil

    import torch
    from safetensors.torch import load_file

    g = golden(oracle, "st-clip-hub")
    converted = tmp_path / "st-clip-hub"
    shutil.copytree(oracle / "st-clip-hub", converted)
    for st in converted.rglob("model.safetensors"):
        torch.save(load_file(str(st)), st.parent / "pytorch_model.bin")
        st.unlink()
    images = [oracle / "st-clip-hub" / "images" / f for f in g["images"][:2]]
    original = ClipEncoder(name=str(oracle / "st-clip-hub"))
    from_bin = ClipEncoder(name=str(converted))
    np.testing.assert_array_equal(from_bin.transform(g["texts"]), original.transform(g["texts"]))
    np.testing.assert_array_equal(from_bin.transform(images), original.transform(images))
