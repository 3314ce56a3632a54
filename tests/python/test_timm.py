"""embetter.vision.TimmEncoder on the random-weight timm folders (MobileNetV3/V2,
EfficientNet, ResNet, ViT) of
tests/oracles/timm_oracle.py (written by ctest's oracle.timm into
build/oracles/timm, or here when missing): features and predictions from
Pillow images (ImageLoader), uint8 arrays and paths against timm's goldens,
the original's test_basic_timm shapes, a timm model name found in the
Hugging Face cache, pickling and errors."""
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sklearn.pipeline import make_pipeline

from conftest import SHARED, assert_embeddings_close, oracle_folder
from embetter import _core
from embetter.vision import ImageLoader, TimmEncoder

FIXTURES = ["mobilenetv3_large_100", "small_050_97x80", "tf_large_075_71", "tf_small_minimal_64x48",
            "mobilenetv2_120d_96", "efficientnet_b0_narrow_83x77", "tf_efficientnet_b3_narrow_75",
            "vit_tiny_patch16_narrow_64", "vit_small_patch32_ls_96x64", "resnet18_narrow_67x58",
            "resnet50_narrow_75x61", "wide_resnet50_2_narrow_45"]


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    return oracle_folder("timm", FIXTURES, tmp_path_factory.mktemp("oracle"), SHARED)


def golden(oracle, name):
    return json.loads((oracle / name / "golden.json").read_text())


@pytest.mark.parametrize("name", FIXTURES)
def test_features_and_predictions_match_timm(oracle, name):
    g = golden(oracle, name)
    paths = [oracle / name / "images" / f for f in g["images"]]
    images = ImageLoader().fit_transform([str(p) for p in paths])
    assert_embeddings_close(TimmEncoder(str(oracle / name)).fit_transform(images), g["features"])
    assert_embeddings_close(TimmEncoder(str(oracle / name), encode_predictions=True).fit_transform(images), g["logits"])
    # Paths (decoded in C++) and uint8 arrays give the same rows.
    assert_embeddings_close(TimmEncoder(str(oracle / name)).transform(paths), g["features"])
    arrays = [np.asarray(Image.open(p)) for p in paths]  # RGBA and grey as they are: converted in C++
    assert_embeddings_close(TimmEncoder(str(oracle / name), num_threads=2, batch_size=3).transform(arrays), g["features"])


def hub_cache(tmp_path, monkeypatch, repo_id, folder):
    """An offline Hugging Face cache holding `folder` as the snapshot of `repo_id`."""
    repo = tmp_path / "hub" / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    for f in ("config.json", "model.safetensors"):
        (snapshot / f).symlink_to(folder / f)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.mark.parametrize("encode_predictions,size", [(True, 1000), (False, 1280)])
def test_the_originals_basic_timm(oracle, shared, tmp_path, monkeypatch, encode_predictions, size):
    """The original's test_basic_timm as it is written, its mobilenetv2_120d
    (timm's default weights, timm/mobilenetv2_120d.ra_in1k) being the oracle's
    random-weight one in the Hugging Face cache."""
    hub_cache(tmp_path, monkeypatch, "timm/mobilenetv2_120d.ra_in1k", oracle / "mobilenetv2_120d_96")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tests" / "data").mkdir(parents=True)
    (tmp_path / "tests" / "data" / "thiscatdoesnotexist.jpeg").write_bytes(
        (shared / "data" / "thiscatdoesnotexist.jpeg").read_bytes())
    model = TimmEncoder("mobilenetv2_120d", encode_predictions=encode_predictions)
    X = ImageLoader().fit_transform(["tests/data/thiscatdoesnotexist.jpeg"])
    out = model.fit_transform(X)
    assert out.shape == (1, size)


def test_pipeline_single_items_and_pickling(oracle):
    folder = oracle / "small_050_97x80"
    g = golden(oracle, "small_050_97x80")
    paths = [str(folder / "images" / f) for f in g["images"]]
    pipe = make_pipeline(ImageLoader(), TimmEncoder(str(folder)))
    assert_embeddings_close(pipe.fit_transform(paths), g["features"])
    enc = TimmEncoder(str(folder))
    one = enc.transform(Path(paths[1]))
    assert one.shape == (1024,)
    np.testing.assert_array_equal(one, enc.transform([paths[1]])[0])
    again = pickle.loads(pickle.dumps(enc.fit(None)))
    assert "_enc" not in again.__dict__
    np.testing.assert_array_equal(again.transform([paths[0]]), enc.transform([paths[0]]))
    assert enc.transform([]).shape == (0, 1024)
    assert enc.get_params() == dict(name=str(folder), encode_predictions=False, batch_size=32, num_threads=None,
                                    show_progress_bar=False)


def test_a_timm_name_is_found_in_the_hugging_face_cache(oracle, tmp_path, monkeypatch):
    """mobilenetv3_large_100 means timm's default weights, timm/mobilenetv3_large_100.ra_in1k,
    as timm.create_model(name, pretrained=True) downloads them."""
    hub_cache(tmp_path, monkeypatch, "timm/mobilenetv3_large_100.ra_in1k", oracle / "mobilenetv3_large_100")
    g = golden(oracle, "mobilenetv3_large_100")
    pixels = np.load(oracle / "mobilenetv3_large_100" / "pixels.npy").reshape(-1, 3, 224, 224)
    for name in ("mobilenetv3_large_100", "timm/mobilenetv3_large_100.ra_in1k",
                 "hf-hub:timm/mobilenetv3_large_100.ra_in1k"):
        enc = _core.TimmEncoder(name)
        assert enc.architecture == "mobilenetv3_large_100" and enc.input_size == (3, 224, 224)
        assert_embeddings_close(enc.encode_pixels(pixels), g["features"])


def test_resnet50_means_timms_default_weights(oracle, tmp_path, monkeypatch):
    """resnet50 means timm/resnet50.a1_in1k (timm's first default_cfgs entry for it)."""
    hub_cache(tmp_path, monkeypatch, "timm/resnet50.a1_in1k", oracle / "resnet50_narrow_75x61")
    g = golden(oracle, "resnet50_narrow_75x61")
    pixels = np.load(oracle / "resnet50_narrow_75x61" / "pixels.npy").reshape(-1, 3, 75, 61)
    enc = _core.TimmEncoder("resnet50")
    assert enc.architecture == "resnet50" and enc.input_size == (3, 75, 61)
    assert_embeddings_close(enc.encode_pixels(pixels), g["features"])


@pytest.mark.parametrize("name,repo,fixture", [
    ("efficientnet_b0", "timm/efficientnet_b0.ra_in1k", "efficientnet_b0_narrow_83x77"),
    ("tf_efficientnet_b3", "timm/tf_efficientnet_b3.ns_jft_in1k", "tf_efficientnet_b3_narrow_75"),
])
def test_an_efficientnet_name_means_timms_default_weights(oracle, tmp_path, monkeypatch, name, repo, fixture):
    """efficientnet_b0 means timm/efficientnet_b0.ra_in1k, tf_efficientnet_b3
    timm/tf_efficientnet_b3.ns_jft_in1k (timm's first default_cfgs entries)."""
    hub_cache(tmp_path, monkeypatch, repo, oracle / fixture)
    g = golden(oracle, fixture)
    enc = _core.TimmEncoder(name)
    pixels = np.load(oracle / fixture / "pixels.npy").reshape(-1, *enc.input_size)
    assert enc.architecture == name
    assert_embeddings_close(enc.encode_pixels(pixels), g["features"])


def test_vit_base_patch16_224_means_timms_default_weights(oracle, tmp_path, monkeypatch):
    """vit_base_patch16_224 means timm/vit_base_patch16_224.augreg2_in21k_ft_in1k; the small
    fixture stands in, its config naming that architecture with model_args.num_heads=3 (which
    overrides the name's 12 heads, as in timm)."""
    fixture = oracle / "vit_tiny_patch16_narrow_64"
    folder = tmp_path / "vit_base"
    folder.mkdir()
    config = json.loads((fixture / "config.json").read_text())
    config["architecture"] = "vit_base_patch16_224"
    config["model_args"]["num_heads"] = 3
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "model.safetensors").symlink_to(fixture / "model.safetensors")
    hub_cache(tmp_path, monkeypatch, "timm/vit_base_patch16_224.augreg2_in21k_ft_in1k", folder)
    g = golden(oracle, "vit_tiny_patch16_narrow_64")
    enc = _core.TimmEncoder("vit_base_patch16_224")
    pixels = np.load(fixture / "pixels.npy").reshape(-1, *enc.input_size)
    assert enc.architecture == "vit_base_patch16_224" and enc.input_size == (3, 64, 64)
    assert_embeddings_close(enc.encode_pixels(pixels), g["features"])


def test_errors_say_what_is_wrong(oracle, tmp_path):
    folder = oracle / "small_050_97x80"
    enc = TimmEncoder(str(folder))
    with pytest.raises(TypeError, match="item 1 is a int"):
        enc.transform([str(folder / "images" / "rgb_300x200.png"), 3])
    with pytest.raises(ValueError, match="image 0 has dtype float64"):
        enc.transform([np.zeros((4, 4, 3))])
    with pytest.raises(OSError, match="config.json"):
        enc.transform([folder / "config.json"])
    with pytest.raises(ValueError, match=r"pixel values of shape \(1, 3, 8, 8\)"):
        _core.TimmEncoder(str(folder)).encode_pixels(np.zeros((1, 3, 8, 8), np.float32))
    other = tmp_path / "resnet"
    other.mkdir()
    config = json.loads((folder / "config.json").read_text())
    config["architecture"] = "convnext_tiny"
    (other / "config.json").write_text(json.dumps(config))
    (other / "model.safetensors").symlink_to(folder / "model.safetensors")
    with pytest.raises(_core.NotSupportedError, match="'convnext_tiny' is not supported"):
        TimmEncoder(str(other)).fit([])
