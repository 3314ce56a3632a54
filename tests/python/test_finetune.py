"""The finetuners through the Python package: scikit-learn conformance, pickling, bad input."""
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from embetter.finetune import ContrastiveLearner, ContrastiveTuner, FeedForwardTuner, ForwardFinetuner


def blobs(n=120, d=16, seed=0):
    rng = np.random.default_rng(seed)
    y = np.array(["neg", "pos"] * (n // 2))
    X = rng.normal(size=(n, d)).astype(np.float32) + (y == "pos")[:, None] * 1.5
    return X, y


@parametrize_with_checks(
    [FeedForwardTuner(n_epochs=5, hidden_dim=4, random_state=0), ContrastiveTuner(epochs=2, hidden_dim=4, random_state=0)]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_seed_name_alias():
    assert ForwardFinetuner is FeedForwardTuner


def test_fit_transform_separates_and_predicts():
    X, y = blobs()
    tuner = FeedForwardTuner(hidden_dim=8, n_epochs=50, random_state=1).fit(X, y)
    Z = tuner.transform(X)
    assert Z.dtype == np.float32 and Z.shape == (len(X), 8)
    assert np.all((Z > 0) & (Z < 1))  # sigmoid activations
    assert (tuner.predict(X) == y).mean() > 0.9
    np.testing.assert_allclose(tuner.predict_proba(X).sum(axis=1), 1.0, rtol=1e-5)
    assert list(tuner.classes_) == ["neg", "pos"]


def test_same_seed_bitwise_same():
    X, y = blobs()
    a = FeedForwardTuner(n_epochs=20, random_state=3).fit(X, y).transform(X)
    b = FeedForwardTuner(n_epochs=20, random_state=3).fit(X, y).transform(X)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "make",
    [
        lambda: FeedForwardTuner(n_epochs=10, random_state=0),
        lambda: ContrastiveTuner(epochs=2, random_state=0),
    ],
)
def test_pickle_and_joblib_round_trips_reproduce_transform(make, tmp_path):
    X, y = blobs()
    tuner = make().fit(X, y)
    again = pickle.loads(pickle.dumps(tuner))
    np.testing.assert_array_equal(tuner.transform(X), again.transform(X))
    joblib.dump(tuner, tmp_path / "t.joblib")
    np.testing.assert_array_equal(tuner.transform(X), joblib.load(tmp_path / "t.joblib").transform(X))


def test_partial_fit_continues_and_checks_classes():
    X, y = blobs()
    tuner = FeedForwardTuner(n_epochs=5, random_state=0)
    tuner.partial_fit(X, y, classes=["neg", "pos"])
    before = tuner.transform(X)
    tuner.partial_fit(X, y)
    assert not np.array_equal(before, tuner.transform(X))
    with pytest.raises(ValueError, match="'maybe'"):
        tuner.partial_fit(X[:2], np.array(["neg", "maybe"]))
    with pytest.raises(ValueError, match="differ"):
        tuner.partial_fit(X, y, classes=["neg", "pos", "other"])


def test_bad_inputs_raise_clear_errors():
    X, y = blobs()
    with pytest.raises(ValueError, match="rows|samples|inconsistent"):
        FeedForwardTuner(n_epochs=1).fit(X, y[:-1])
    with pytest.raises(ValueError, match="2 classes"):
        FeedForwardTuner(n_epochs=1).fit(X, np.array(["a"] * len(X)))
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        FeedForwardTuner(n_epochs=1).fit(bad, y)
    with pytest.raises(ValueError):
        FeedForwardTuner(n_epochs=1).fit(np.zeros((0, 4), dtype=np.float32), [])
    tuner = FeedForwardTuner(n_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        tuner.transform(X[:, :3])
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        FeedForwardTuner().transform(X)


def test_pipeline_on_dataframe_clone_and_grid_search():
    from embetter.grab import ColumnGrabber
    from embetter.text import LiteTextEncoder

    rng = np.random.default_rng(0)
    words_pos, words_neg = ["great", "lovely", "superb", "fun"], ["awful", "boring", "dull", "bad"]
    rows = []
    for i in range(80):
        pos = i % 2 == 0
        words = rng.choice(words_pos if pos else words_neg, size=4).tolist() + ["movie", "plot", "actor"]
        rows.append({"text": " ".join(words), "label": "pos" if pos else "neg"})
    df = pd.DataFrame(rows)
    pipe = make_pipeline(
        ColumnGrabber("text"),
        LiteTextEncoder(dim=5, random_state=0),
        FeedForwardTuner(hidden_dim=4, n_epochs=30, random_state=0),
        LogisticRegression(),
    )
    pipe.fit(df, df["label"])
    assert (pipe.predict(df) == df["label"]).mean() > 0.9
    cloned = clone(pipe)
    assert cloned.get_params()["feedforwardtuner__hidden_dim"] == 4
    grid = GridSearchCV(pipe, {"feedforwardtuner__hidden_dim": [2, 6]}, cv=2).fit(df, df["label"])
    assert grid.best_params_["feedforwardtuner__hidden_dim"] in (2, 6)


def test_contrastive_learner_pairs():
    rng = np.random.default_rng(0)
    X1 = rng.normal(size=(64, 8)).astype(np.float32)
    X2 = X1 + rng.normal(scale=0.01, size=X1.shape).astype(np.float32)
    y = np.ones(64, dtype=np.float32)
    learner = ContrastiveLearner(shape_out=6, epochs=2, random_state=0).fit(X1, X2, y)
    sims = learner.predict(X1, X2)
    assert sims.shape == (64,) and np.all(np.abs(sims) <= 1.0 + 1e-5)
    assert learner.transform(X1).shape == (64, 6)
    again = pickle.loads(pickle.dumps(learner))
    np.testing.assert_array_equal(learner.transform(X1), again.transform(X1))
    with pytest.raises(ValueError, match="features"):
        learner.predict(X1, X2[:, :3])


def test_contrastive_tuner_learner_is_the_network_behind_it():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 8)).astype(np.float32)
    y = np.where(X[:, 0] > 0, "a", "b")
    tuner = ContrastiveTuner(hidden_dim=5, epochs=3, learning_rate=0.01, random_state=0)
    before = tuner.learner  # the original builds it in __init__
    assert isinstance(before, ContrastiveLearner) and before.shape_out == 5 and before.batch_size == 256
    with pytest.raises(NotFittedError):
        before.transform(X)
    tuner.fit(X, y)
    learner = tuner.learner
    np.testing.assert_array_equal(learner.transform(X), tuner.transform(X))
    assert learner.predict(X[:3], X[:3]).shape == (3,)
    learner.fit(X, X[::-1], np.zeros(40, np.float32))  # a copy: the tuner keeps its network
    np.testing.assert_array_equal(tuner.learner.transform(X), tuner.transform(X))
    assert np.abs(learner.transform(X) - tuner.transform(X)).max() > 1e-4


def test_contrastive_learner_to_disk_and_back(tmp_path):
    rng = np.random.default_rng(4)
    X1 = rng.normal(size=(32, 6)).astype(np.float32)
    X2 = rng.normal(size=(32, 6)).astype(np.float32)
    learner = ContrastiveLearner(shape_out=4, epochs=2, learning_rate=0.01, random_state=1)
    with pytest.raises(NotFittedError):
        learner.to_disk(tmp_path / "never.safetensors")
    assert not (tmp_path / "never.safetensors").exists()
    learner.fit(X1, X2, np.ones(32, np.float32))
    learner.to_disk(tmp_path / "learner.safetensors")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["learner.safetensors"]  # no temporary left
    back = ContrastiveLearner.from_disk(tmp_path / "learner.safetensors")
    assert (back.shape_out, back.epochs, back.learning_rate) == (4, 2, pytest.approx(0.01))
    np.testing.assert_array_equal(back.transform(X1), learner.transform(X1))
    np.testing.assert_array_equal(back.predict(X1, X2), learner.predict(X1, X2))
    with pytest.raises(ValueError, match="not-a-model.safetensors"):
        (tmp_path / "not-a-model.safetensors").write_bytes(b"garbage")
        ContrastiveLearner.from_disk(tmp_path / "not-a-model.safetensors")


def test_contrastive_tuner_generate_batch_draws_the_originals_pairs():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(30, 4)).astype(np.float32)
    y = np.array(["a"] * 10 + ["b"] * 15 + ["c"] * 5)
    X1, X2, labels = ContrastiveTuner(n_neg=3, random_state=0).generate_batch(X, y)
    # Per example: one positive (another example of its class), then 3 negatives.
    assert X1.shape == X2.shape == (30 * 4, 4) and labels.dtype == np.int64
    np.testing.assert_array_equal(labels, np.tile([1, 0, 0, 0], 30))
    row_of = {r.tobytes(): i for i, r in enumerate(X)}
    for a, b, same in zip(X1, X2, labels):
        i, j = row_of[a.tobytes()], row_of[b.tobytes()]
        assert (y[i] == y[j]) == bool(same) and (i != j or not same)
    again = ContrastiveTuner(n_neg=3, random_state=0).generate_batch(X, y)
    np.testing.assert_array_equal(again[1], X2)  # seeded: the same pairs
    with pytest.raises(ValueError, match="at least 2 distinct classes"):
        ContrastiveTuner().generate_batch(X, np.array(["a"] * 30))
