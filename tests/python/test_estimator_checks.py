"""scikit-learn's estimator checks for the estimators that take text (the encoders)
and for ContrastiveLearner (which fits on pairs).

scikit-learn runs none of its checks on an estimator whose tags say it takes text
(input_tags.two_d_array=False): every check that fits builds a numeric 2-D X.
ContrastiveLearner takes numeric X, but its fit(X1, X2, y) is not fit(X, y). So
for each check scikit-learn would run on these estimators (if the encoders took
2-D arrays), this file either
- runs scikit-learn's own check, where it needs no data (AS_IS);
- runs a version of it written here, with the same assertion on texts or pairs
  (TEXT_VERSIONS, PAIR_VERSIONS);
- or skips it, with the reason (SKIPPED), which docs/python.md lists.
test_every_check_is_accounted_for fails when scikit-learn adds a check we have
not placed; test_docs_list_the_skipped_checks fails when the docs drift.
The finetuners take (X, y) and run the full suite in test_finetune.py.
"""
from __future__ import annotations

import functools
import pickle
import re
from inspect import signature

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_checks, get_tags
from sklearn.utils.estimator_checks import estimator_checks_generator
from sklearn.utils.validation import check_is_fitted

from conftest import ROOT, SHARED, require, require_module
from embetter.finetune import ContrastiveLearner
from embetter.text import BytePairEncoder, LiteTextEncoder, SentenceEncoder, TextEncoder

TINY_BERT = SHARED / "fixtures" / "sbert" / "tiny-bert"
BPEMB = SHARED / "data" / "en.wiki.bpe.vs1000.model", SHARED / "data" / "en.wiki.bpe.vs1000.d25.w2v.bin"

# One instance per encoder, built at collection time: the check list depends on
# the class and its tags only. Models are loaded when a check runs (see `encoder`).
ENCODERS = {
    "LiteTextEncoder": LiteTextEncoder(dim=4, random_state=0),
    "SentenceEncoder": SentenceEncoder(str(TINY_BERT)),
    "TextEncoder": TextEncoder("model2vec folder, written by the model2vec fixture"),
    "BytePairEncoder": BytePairEncoder(model_file=str(BPEMB[0]), vectors_file=str(BPEMB[1])),
}
PAIRS = {"ContrastiveLearner": ContrastiveLearner(shape_out=4, epochs=2, random_state=0)}


def check_name(check) -> str:
    while True:
        if isinstance(check, functools.partial):
            check = check.func
        elif hasattr(check, "__wrapped__"):
            check = check.__wrapped__
        else:
            return check.__name__


@functools.cache
def sklearn_checks(key: str) -> frozenset[str]:
    """The checks scikit-learn's estimator_checks_generator gives for the estimator,
    as if it took 2-D numeric X (for the encoders: a subclass whose tags say so)."""
    est = ENCODERS.get(key) or PAIRS[key]
    if not get_tags(est).input_tags.two_d_array:
        base = type(est)

        def numeric_tags(self):
            tags = base.__sklearn_tags__(self)
            tags.input_tags.two_d_array, tags.input_tags.string = True, False
            return tags

        est = type(base.__name__, (base,), {"__sklearn_tags__": numeric_tags})(**est.get_params())
    return frozenset(check_name(check) for _, check in estimator_checks_generator(est))


def texts_for_checks(n=24, seed=0):
    rng = np.random.default_rng(seed)
    words = "the a movie plot actor great awful boring lovely film scene music story café naïve 😀 日本".split()
    return [" ".join(rng.choice(words, size=rng.integers(3, 12))) for _ in range(n)]


TEXTS = texts_for_checks()


@pytest.fixture(scope="session")
def model2vec_folder(tmp_path_factory):
    """A small model2vec model (random vectors over tiny-bert's tokenizer), saved by model2vec itself."""
    StaticModel = require_module("model2vec").StaticModel
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(require(TINY_BERT) / "tokenizer.json"))
    vectors = np.random.default_rng(0).standard_normal((tokenizer.get_vocab_size(), 8)).astype(np.float32)
    folder = tmp_path_factory.mktemp("model2vec") / "tiny"
    StaticModel(vectors, tokenizer, normalize=True).save_pretrained(folder)
    return folder


@pytest.fixture
def encoder(request):
    """The unfitted encoder for the parametrized key, its model files in place."""
    est = clone(ENCODERS[request.param])
    if isinstance(est, TextEncoder):
        est.set_params(model=str(request.getfixturevalue("model2vec_folder")))
    elif isinstance(est, SentenceEncoder):
        require(TINY_BERT)
    elif isinstance(est, BytePairEncoder):
        require(BPEMB[0]), require(BPEMB[1])
    return est


# ---- scikit-learn's checks that need no data: run as they are ----------------

AS_IS = {
    "check_estimator_cloneable",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_transformer_n_iter",  # asserts on n_iter_ when there is a max_iter parameter (none here)
}

# ---- text versions: the same assertion as scikit-learn's check, texts for X ----


def _fit_returns_self(make):
    est = make()
    assert est.fit(TEXTS) is est


def _fit_score_takes_y(make):
    est = make()
    for method in ("fit", "partial_fit", "fit_transform"):
        if hasattr(est, method):
            args = list(signature(getattr(est, method)).parameters)
            assert args[1] in ("y", "Y"), f"{method} takes {args}; the second argument should be y"
            getattr(est, method)(TEXTS, None)


def _overwrite_params(make):
    est = make()
    before = {k: joblib.hash(v) for k, v in est.get_params().items()}
    est.fit(TEXTS)
    assert {k: joblib.hash(v) for k, v in est.get_params().items()} == before


def _dont_overwrite_parameters(make):
    est = make()
    before = est.__dict__.copy()
    est.fit(TEXTS)
    added = [k for k in est.__dict__ if k not in before and not k.startswith("_")]
    assert all(k.endswith("_") for k in added), f"fit added public attributes without a trailing _: {added}"
    changed = [k for k in before if not k.startswith("_") and est.__dict__[k] is not before[k]]
    assert not changed, f"fit changed parameters {changed}"


def _unfitted(make):
    with pytest.raises(NotFittedError):
        make().transform(TEXTS)


def _unfitted_stateless(make):
    assert make().transform(TEXTS).shape[0] == len(TEXTS)


def _empty_data(make):
    est = make()
    if get_tags(est).requires_fit:
        with pytest.raises(ValueError):
            est.fit([])
    else:  # a pretrained encoder: no texts is valid input, and gives no rows
        out = est.fit([]).transform([])
        assert out.shape == (0, est.transform(TEXTS[:1]).shape[1]) and out.dtype == np.float32


def _dtype_object(make):
    est = make().fit(np.asarray(TEXTS, dtype=object))
    np.testing.assert_array_equal(est.transform(np.asarray(TEXTS, dtype=object)), est.transform(TEXTS))
    with pytest.raises(TypeError, match="position 1"):
        est.transform(np.asarray(["text", 1], dtype=object))


def _nan_inf(make):
    # Missing values in text columns are None or float NaN (pandas): a TypeError
    # naming the position, as for any non-string.
    for missing in (None, float("nan")):
        with pytest.raises(TypeError, match="position 2"):
            make().fit([*TEXTS[:2], missing, *TEXTS[2:]])
        with pytest.raises(TypeError, match="position 2"):
            make().fit(TEXTS).transform([*TEXTS[:2], missing])


def _pipeline_consistency(make):
    np.testing.assert_array_equal(make_pipeline(make()).fit_transform(TEXTS), make().fit_transform(TEXTS))


def _pickle(make):
    est = make().fit(TEXTS)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.transform(TEXTS), est.transform(TEXTS))


def _data_not_an_array(make):
    expected = make().fit(TEXTS).transform(TEXTS)
    for convert in (tuple, np.asarray, lambda t: np.asarray(t, dtype=object), pd.Series):
        np.testing.assert_array_equal(make().fit(convert(TEXTS)).transform(convert(TEXTS)), expected)


def _transformer_general(make):
    a = make().fit(TEXTS).transform(TEXTS)
    b = make().fit_transform(TEXTS)
    np.testing.assert_array_equal(a, b)
    assert a.ndim == 2 and a.shape[0] == len(TEXTS) and a.dtype == np.float32 and a.flags.c_contiguous


def _sample_order_invariance(make):
    est = make().fit(TEXTS)
    order = np.random.default_rng(1).permutation(len(TEXTS))
    np.testing.assert_array_equal(est.transform([TEXTS[i] for i in order]), est.transform(TEXTS)[order])


def _subset_invariance(make):
    est = make().fit(TEXTS)
    full = est.transform(TEXTS)
    half = len(TEXTS) // 2
    np.testing.assert_array_equal(est.transform(TEXTS[:half]), full[:half])
    np.testing.assert_array_equal(est.transform(TEXTS[half:]), full[half:])


def _fit_1sample(make):
    # scikit-learn accepts a ValueError that says why one sample is not enough.
    est = make()
    try:
        est.fit(TEXTS[:1])
    except ValueError as e:
        assert re.search(r"\b1\b|one|fewer", str(e)), str(e)
    else:
        assert est.transform(TEXTS[:1]).shape[0] == 1


def _dict_unchanged(make):
    est = make().fit(TEXTS)
    before = est.__dict__.copy()
    est.transform(TEXTS)
    assert est.__dict__ == before, "transform changed the estimator's __dict__"


def _fit_idempotent(make):
    est = make()
    first = est.fit(TEXTS[:16]).transform(TEXTS[16:])
    np.testing.assert_array_equal(est.fit(TEXTS[:16]).transform(TEXTS[16:]), first)


def _fit_check_is_fitted(make):
    est = make()
    if get_tags(est).requires_fit:
        with pytest.raises(NotFittedError):
            check_is_fitted(est)
    check_is_fitted(est.fit(TEXTS))


def _wrong_dimensions(make):
    # The text version of "1-D X is rejected": texts come as a 1-D sequence, so a
    # 2-D array of strings is the wrong shape, in fit and in transform.
    grid = np.asarray(TEXTS).reshape(-1, 2)
    with pytest.raises(ValueError, match="1-D"):
        make().fit(grid)
    with pytest.raises(ValueError, match="1-D"):
        make().fit(TEXTS).transform(grid)


TEXT_VERSIONS = {
    "check_fit_score_takes_y": _fit_score_takes_y,
    "check_estimators_overwrite_params": _overwrite_params,
    "check_dont_overwrite_parameters": _dont_overwrite_parameters,
    "check_estimators_fit_returns_self": _fit_returns_self,
    "check_estimators_unfitted": _unfitted,
    "check_transformers_unfitted": _unfitted,
    "check_transformers_unfitted_stateless": _unfitted_stateless,
    "check_estimators_empty_data_messages": _empty_data,
    "check_dtype_object": _dtype_object,
    "check_estimators_nan_inf": _nan_inf,
    "check_pipeline_consistency": _pipeline_consistency,
    "check_estimators_pickle": _pickle,
    "check_transformer_data_not_an_array": _data_not_an_array,
    "check_transformer_general": _transformer_general,
    "check_methods_sample_order_invariance": _sample_order_invariance,
    "check_methods_subset_invariance": _subset_invariance,
    "check_fit2d_1sample": _fit_1sample,
    "check_dict_unchanged": _dict_unchanged,
    "check_fit_idempotent": _fit_idempotent,
    "check_fit_check_is_fitted": _fit_check_is_fitted,
    "check_fit1d": _wrong_dimensions,
    "check_fit2d_predict1d": _wrong_dimensions,
}

# ---- pair versions for ContrastiveLearner: fit(X1, X2, y) ----------------------


def pairs(n=40, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X1 = rng.normal(size=(n, d)).astype(np.float32)
    X2 = X1 + rng.normal(scale=0.1, size=X1.shape).astype(np.float32)
    return X1, X2, (np.arange(n) % 2).astype(np.float32)


def _pair_fit_returns_self(make):
    est = make()
    assert est.fit(*pairs()) is est


def _pair_overwrite_params(make):
    est = make()
    before = {k: joblib.hash(v) for k, v in est.get_params().items()}
    est.fit(*pairs())
    assert {k: joblib.hash(v) for k, v in est.get_params().items()} == before


def _pair_dont_overwrite_parameters(make):
    est = make()
    before = est.__dict__.copy()
    est.fit(*pairs())
    added = [k for k in est.__dict__ if k not in before and not k.startswith("_")]
    assert all(k.endswith("_") for k in added), added


def _pair_unfitted(make):
    X1, X2, _ = pairs()
    for call in (lambda e: e.transform(X1), lambda e: e.predict(X1, X2)):
        with pytest.raises(NotFittedError):
            call(make())


def _pair_empty_data(make):
    X1, X2, y = pairs()
    with pytest.raises(ValueError):
        make().fit(X1[:0], X2[:0], y[:0])


def _pair_nan_inf(make):
    X1, X2, y = pairs()
    for bad in (np.nan, np.inf):
        for which in (0, 1):
            Xs = [X1.copy(), X2.copy()]
            Xs[which][3, 1] = bad
            with pytest.raises(ValueError):
                make().fit(*Xs, y)
    fitted = make().fit(X1, X2, y)
    X_bad = X1.copy()
    X_bad[0, 0] = np.nan
    with pytest.raises(ValueError):
        fitted.transform(X_bad)


def _pair_pickle(make):
    X1, X2, y = pairs()
    est = make().fit(X1, X2, y)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.transform(X1), est.transform(X1))
    np.testing.assert_array_equal(again.predict(X1, X2), est.predict(X1, X2))


def _pair_dict_unchanged(make):
    X1, X2, y = pairs()
    est = make().fit(X1, X2, y)
    before = est.__dict__.copy()
    est.transform(X1)
    est.predict(X1, X2)
    assert est.__dict__ == before


def _pair_fit_idempotent(make):
    X1, X2, y = pairs()
    est = make()
    first = est.fit(X1, X2, y).transform(X1)
    np.testing.assert_array_equal(est.fit(X1, X2, y).transform(X1), first)


def _pair_fit_check_is_fitted(make):
    est = make()
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    check_is_fitted(est.fit(*pairs()))


def _pair_n_features_in(make):
    X1, X2, y = pairs()
    est = make().fit(X1, X2, y)
    assert est.n_features_in_ == X1.shape[1]
    with pytest.raises(ValueError, match="features"):
        est.transform(X1[:, :3])


def _pair_sample_order_invariance(make):
    X1, X2, y = pairs()
    est = make().fit(X1, X2, y)
    order = np.random.default_rng(1).permutation(len(X1))
    np.testing.assert_allclose(est.transform(X1[order]), est.transform(X1)[order], atol=1e-9)
    np.testing.assert_allclose(est.predict(X1[order], X2[order]), est.predict(X1, X2)[order], atol=1e-9)


def _pair_subset_invariance(make):
    X1, X2, y = pairs()
    est = make().fit(X1, X2, y)
    # scikit-learn's tolerance: BLAS blocking depends on the row count
    np.testing.assert_allclose(est.transform(X1[:7]), est.transform(X1)[:7], atol=1e-7)
    np.testing.assert_allclose(est.predict(X1[7:], X2[7:]), est.predict(X1, X2)[7:], atol=1e-7)


def _pair_fit1d(make):
    X1, X2, y = pairs()
    with pytest.raises(ValueError, match="2D|2-D"):
        make().fit(X1[:, 0], X2[:, 0], y)


PAIR_VERSIONS = {
    "check_methods_sample_order_invariance": _pair_sample_order_invariance,
    "check_methods_subset_invariance": _pair_subset_invariance,
    "check_fit1d": _pair_fit1d,
    "check_estimators_fit_returns_self": _pair_fit_returns_self,
    "check_estimators_overwrite_params": _pair_overwrite_params,
    "check_dont_overwrite_parameters": _pair_dont_overwrite_parameters,
    "check_estimators_unfitted": _pair_unfitted,
    "check_transformers_unfitted": _pair_unfitted,
    "check_estimators_empty_data_messages": _pair_empty_data,
    "check_estimators_nan_inf": _pair_nan_inf,
    "check_estimators_pickle": _pair_pickle,
    "check_dict_unchanged": _pair_dict_unchanged,
    "check_fit_idempotent": _pair_fit_idempotent,
    "check_fit_check_is_fitted": _pair_fit_check_is_fitted,
    "check_n_features_in": _pair_n_features_in,
    "check_n_features_in_after_fitting": _pair_n_features_in,
}

# ---- skipped, with the reason (docs/python.md lists these) ---------------------

_NUMERIC = "builds numeric X; the input is text"
_FIT_XY = "calls fit(X, y); ContrastiveLearner.fit takes pairs (X1, X2, y)"
SKIPPED = {
    "text encoders": {
        "check_estimators_dtypes": _NUMERIC + " (the output is always float32)",
        "check_complex_data": _NUMERIC,
        "check_readonly_memmap_input": "memory-maps numeric X; a list of texts cannot be memory-mapped",
        "check_f_contiguous_array_estimator": _NUMERIC + " (array memory layout)",
        "check_positive_only_tag_during_fit": _NUMERIC,
        "check_estimator_sparse_tag": "sparse X; text has no sparse form",
        "check_estimator_sparse_array": "sparse X; text has no sparse form",
        "check_estimator_sparse_matrix": "sparse X; text has no sparse form",
        "check_array_api_input": "array API namespaces hold numbers, not text",
        "check_fit2d_1feature": "one feature column; text has no columns",
        "check_n_features_in": "n_features_in_ counts X's columns; text has none (as scikit-learn's TfidfVectorizer)",
        "check_n_features_in_after_fitting": "n_features_in_ counts X's columns; text has none (as scikit-learn's TfidfVectorizer)",
    },
    "ContrastiveLearner": {
        name: _FIT_XY
        for name in (
            "check_estimators_dtypes",
            "check_complex_data",
            "check_dtype_object",
            "check_readonly_memmap_input",
            "check_f_contiguous_array_estimator",
            "check_positive_only_tag_during_fit",
            "check_fit_score_takes_y",
            "check_pipeline_consistency",
            "check_estimator_sparse_tag",
            "check_estimator_sparse_array",
            "check_estimator_sparse_matrix",
            "check_array_api_input",
            "check_transformer_data_not_an_array",
            "check_transformer_general",
            "check_transformer_preserve_dtypes",
            "check_fit2d_1sample",
            "check_fit2d_1feature",
            "check_fit2d_predict1d",
        )
    },
}

ENCODER_CASES = [(key, name) for key in ENCODERS for name in sorted(sklearn_checks(key))]
PAIR_CASES = [(key, name) for key in PAIRS for name in sorted(sklearn_checks(key))]


@pytest.mark.parametrize(
    "encoder, check",
    [pytest.param(k, n, id=f"{k}-{n}") for k, n in ENCODER_CASES if n in AS_IS | TEXT_VERSIONS.keys()],
    indirect=["encoder"],
)
def test_encoder_checks(encoder, check):
    if check in AS_IS:
        getattr(estimator_checks, check)(type(encoder).__name__, encoder)
    else:
        TEXT_VERSIONS[check](lambda: clone(encoder))


@pytest.mark.parametrize(
    "key, check",
    [pytest.param(k, n, id=f"{k}-{n}") for k, n in PAIR_CASES if n in AS_IS | PAIR_VERSIONS.keys()],
)
def test_contrastive_learner_checks(key, check):
    est = PAIRS[key]
    if check in AS_IS:
        getattr(estimator_checks, check)(type(est).__name__, est)
    else:
        PAIR_VERSIONS[check](lambda: clone(est))


@pytest.mark.parametrize("key", [*ENCODERS, *PAIRS])
def test_every_check_is_accounted_for(key):
    group, ours = ("text encoders", TEXT_VERSIONS) if key in ENCODERS else ("ContrastiveLearner", PAIR_VERSIONS)
    placed = [AS_IS, ours.keys(), SKIPPED[group].keys()]
    for i, a in enumerate(placed):
        for b in placed[i + 1 :]:
            assert not (a & b), f"placed twice: {sorted(a & b)}"
    unplaced = sklearn_checks(key) - set().union(*placed)
    assert not unplaced, f"scikit-learn runs checks on {key} that this file neither runs nor skips: {sorted(unplaced)}"


def test_no_stale_entries():
    text_checks = set().union(*(sklearn_checks(k) for k in ENCODERS))
    pair_checks = set().union(*(sklearn_checks(k) for k in PAIRS))
    assert not (TEXT_VERSIONS.keys() | SKIPPED["text encoders"].keys()) - text_checks
    assert not (PAIR_VERSIONS.keys() | SKIPPED["ContrastiveLearner"].keys()) - pair_checks
    assert not AS_IS - text_checks - pair_checks


def skipped_table() -> str:
    rows = ["| estimators | check | why it is skipped |", "| --- | --- | --- |"]
    for group, checks in SKIPPED.items():
        rows += [f"| {group} | `{name}` | {reason} |" for name, reason in sorted(checks.items())]
    return "\n".join(rows)


def test_docs_list_the_skipped_checks():
    doc = (ROOT / "docs" / "python.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- skipped-checks -->\n(.*?)\n<!-- /skipped-checks -->", doc, re.S)
    assert block, "docs/python.md lacks the <!-- skipped-checks --> block"
    assert block.group(1).strip() == skipped_table(), "docs/python.md's list differs; it should read:\n" + skipped_table()
