"""SentenceEncoder(precision=...): int8 close to fp32, sklearn parameters, clear errors."""
import json

import numpy as np
import pytest
from sklearn.base import clone

from conftest import require
from embetter.text import SentenceEncoder


def texts_of(folder):
    return [json.loads(line)["text"] for line in (folder / "golden.jsonl").read_text().splitlines()]


def test_int8_stays_within_cosine_0999_of_fp32(shared):
    folder = require(shared / "fixtures" / "sbert" / "tiny-bert")
    texts = texts_of(folder)
    fp32 = SentenceEncoder(str(folder)).transform(texts)
    int8 = SentenceEncoder(str(folder), precision="int8").transform(texts)
    assert int8.dtype == np.float32 and int8.shape == fp32.shape
    assert not np.array_equal(int8, fp32)
    cos = (int8 * fp32).sum(1) / (np.linalg.norm(int8, axis=1) * np.linalg.norm(fp32, axis=1))
    assert cos.min() >= 0.999
    # The original's quantize=True is the same switch.
    np.testing.assert_array_equal(SentenceEncoder(str(folder), quantize=True).transform(texts), int8)


def test_precision_is_an_sklearn_parameter(shared):
    folder = require(shared / "fixtures" / "sbert" / "tiny-bert")
    enc = SentenceEncoder(str(folder), precision="int8")
    assert enc.get_params()["precision"] == "int8"
    assert clone(enc).precision == "int8"
    a = enc.transform(["hello world"])
    b = enc.set_params(precision="fp32").transform(["hello world"])
    np.testing.assert_array_equal(b, SentenceEncoder(str(folder)).transform(["hello world"]))
    assert not np.array_equal(a, b)


def test_unknown_precision_is_a_clear_error(shared):
    folder = require(shared / "fixtures" / "sbert" / "tiny-bert")
    with pytest.raises(ValueError, match="precision 'int4'.*'fp32', 'int8'"):
        SentenceEncoder(str(folder), precision="int4").transform(["x"])
    with pytest.raises(Exception, match="bf16"):
        SentenceEncoder(str(folder), precision="bf16").transform(["x"])
    with pytest.raises(ValueError, match="quantize=True"):
        SentenceEncoder(str(folder), quantize=True, precision="bf16").transform(["x"])
