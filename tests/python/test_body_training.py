"""Body finetuning against sentence-transformers' training step in PyTorch:
the same initial weights, batches, losses, AdamW (decay groups as
transformers' Trainer), warm-up/linear-decay schedule and clipping at norm 1;
dropout is off on both sides (masks cannot be matched draw for draw). Then
SbertLearner's and BodyTuner's API."""
import importlib

import numpy as np
import pytest

from conftest import SHARED, require, require_module

FIXTURES = ["tiny-bert", "tiny-bert-cased-cls", "tiny-bert-max", "tiny-mpnet", "tiny-roberta"]
ANIMALS = ["the cat sleeps on the mat", "a dog barks at night", "the horse runs fast", "birds sing in spring",
           "a fish swims", "the cow eats grass", "wolves howl", "an owl hoots softly"]
MONEY = ["the bank lends money", "stocks fell sharply today", "prices rise again", "taxes are due in april",
         "the loan was repaid", "bonds pay interest", "the market closed higher", "inflation worries investors"]


def pairs(n=80, seed=0):
    """n pairs (first, second, label): same theme 1, different themes 0."""
    rng = np.random.default_rng(seed)
    first, second, labels = [], [], []
    for _ in range(n):
        a_theme, b_theme = rng.integers(0, 2, size=2)
        themes = (ANIMALS, MONEY)
        first.append(themes[a_theme][rng.integers(0, 8)])
        second.append(themes[b_theme][rng.integers(0, 8)])
        labels.append(float(a_theme == b_theme))
    return first, second, np.asarray(labels, dtype=np.float32)


def torch_losses(folder, first, second, labels, loss, batch_size, lr, warmup):
    """sentence-transformers' training step, one epoch in order, dropout off.
    On one thread: these models are tiny, and torch's spinning threads crawl
    (0.5 s becomes 40 s) when anything else keeps the cores busy."""
    torch = require_module("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _torch_losses(torch, folder, first, second, labels, loss, batch_size, lr, warmup)
    finally:
        torch.set_num_threads(threads)


def _torch_losses(torch, folder, first, second, labels, loss, batch_size, lr, warmup):
    st = require_module("sentence_transformers")
    transformers = require_module("transformers")
    torch.manual_seed(0)
    model = st.SentenceTransformer(str(folder), device="cpu")
    model.train()
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    try:
        losses = importlib.import_module("sentence_transformers.sentence_transformer.losses")
    except ImportError:  # sentence-transformers before 6
        losses = importlib.import_module("sentence_transformers.losses")
    objective = {"cosine": losses.CosineSimilarityLoss, "contrastive": losses.ContrastiveLoss,
                 "mnrl": losses.MultipleNegativesRankingLoss}[loss](model)
    # sentence-transformers' fit: no weight decay for names containing these.
    no_decay_names = ["bias", "LayerNorm.bias", "LayerNorm.weight"]
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if any(nd in name for nd in no_decay_names) else decay).append(p)
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=lr)
    steps = (len(first) + batch_size - 1) // batch_size
    schedule = transformers.get_linear_schedule_with_warmup(optimizer, warmup, steps)
    out = []
    for start in range(0, len(first), batch_size):
        a = model.tokenize(first[start:start + batch_size])
        b = model.tokenize(second[start:start + batch_size])
        value = objective([a, b], torch.as_tensor(labels[start:start + batch_size]))
        optimizer.zero_grad()
        value.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        out.append(value.item())
    return np.asarray(out), model


def ours(folder, first, second, labels, loss, batch_size, lr, warmup):
    from embetter import _core

    model = _core.BodyFinetuner(str(folder))
    got = model.fit(first, second, labels.tolist(), loss=loss, batch_size=batch_size, epochs=1, warmup_steps=warmup,
                    learning_rate=lr, weight_decay=0.01, max_grad_norm=1.0, dropout=False, shuffle=False,
                    random_state=0)
    return np.asarray(got), model


@pytest.mark.parametrize("fixture", FIXTURES)
def test_twenty_steps_follow_sentence_transformers(fixture):
    folder = require(SHARED / "fixtures/sbert" / fixture)
    first, second, labels = pairs()
    # A learning rate large enough that the 20 steps move the loss visibly.
    ref, ref_model = torch_losses(folder, first, second, labels, "cosine", 4, 5e-4, 5)
    got, model = ours(folder, first, second, labels, "cosine", 4, 5e-4, 5)
    assert len(got) == len(ref) == 20
    assert np.max(np.abs(got - ref)) <= 1e-3, (got, ref)
    assert abs(ref[-5:].mean() - ref[:5].mean()) > 1e-2, "the trajectory should move, else the check is weak"
    probe = ANIMALS[:3] + MONEY[:3] + ["an unseen text about nothing"]
    after = ref_model.encode(probe, convert_to_numpy=True)
    assert np.max(np.abs(model.encode(probe) - after)) <= 1e-3


@pytest.mark.parametrize("loss", ["contrastive", "mnrl"])
def test_other_losses_follow_sentence_transformers(loss):
    folder = require(SHARED / "fixtures/sbert/tiny-bert")
    first, second, labels = pairs(seed=1)
    if loss == "mnrl":  # positives only: pairs within a theme
        keep = labels == 1
        first = [t for t, k in zip(first, keep) if k]
        second = [t for t, k in zip(second, keep) if k]
        labels = labels[keep]
    ref, _ = torch_losses(folder, first, second, labels, loss, 4, 5e-4, 5)
    got, _ = ours(folder, first, second, labels, loss, 4, 5e-4, 5)
    assert np.max(np.abs(got - ref)) <= 1e-3, (got, ref)


def test_sbert_learner_fit_transform_predict_to_disk(tmp_path):
    folder = require(SHARED / "fixtures/sbert/tiny-bert")
    st = require_module("sentence_transformers")
    from embetter.finetune import SbertLearner
    from embetter.text import SentenceEncoder

    first, second, labels = pairs(64, seed=2)
    enc = SentenceEncoder(str(folder))
    learner = SbertLearner(enc, epochs=2, warmup_steps=4, learning_rate=1e-3, random_state=3).fit(first, second, labels)
    assert len(learner.loss_curve_) == 8
    X = learner.transform(ANIMALS)
    assert X.shape == (8, enc.transform(["x"]).shape[1]) and X.dtype == np.float32
    assert learner.transform("one text").shape == (X.shape[1],)
    sims = learner.predict(ANIMALS[:4], MONEY[:4])
    assert sims.shape == (4,) and np.all(np.abs(sims) <= 1 + 1e-6)
    # The user's encoder is not modified.
    assert np.allclose(enc.transform(ANIMALS), SentenceEncoder(str(folder)).transform(ANIMALS))
    learner.to_disk(tmp_path / "tuned")
    reloaded = st.SentenceTransformer(str(tmp_path / "tuned"), device="cpu").encode(ANIMALS)
    assert np.max(np.abs(reloaded - X)) <= 1e-4
    assert np.max(np.abs(SentenceEncoder(str(tmp_path / "tuned")).transform(ANIMALS) - X)) <= 1e-4


def test_sbert_learner_errors():
    folder = require(SHARED / "fixtures/sbert/tiny-bert")
    from sklearn.exceptions import NotFittedError

    from embetter.finetune import SbertLearner

    learner = SbertLearner(str(folder))
    with pytest.raises(NotFittedError):
        learner.transform(["a"])
    with pytest.raises(ValueError, match="2 first texts but 1 second"):
        learner.fit(["a", "b"], ["c"], [1, 0])
    with pytest.raises(ValueError, match=r"label 1 is 2"):
        learner.fit(["a", "b"], ["c", "d"], [1, 2])
    with pytest.raises(ValueError, match="first text 0 is empty"):
        learner.fit(["", "b"], ["c", "d"], [1, 0])
    with pytest.raises(ValueError, match="loss must be one of"):
        SbertLearner(str(folder), loss="hinge").fit(["a"], ["b"], [1])
    with pytest.raises(TypeError, match="sent_tfm"):
        SbertLearner(object()).fit(["a"], ["b"], [1])


def test_body_tuner_in_a_pipeline():
    folder = require(SHARED / "fixtures/sbert/tiny-bert")
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import silhouette_score
    from sklearn.pipeline import make_pipeline

    from embetter.finetune import BodyTuner
    from embetter.text import SentenceEncoder

    X = ANIMALS + MONEY
    y = ["animal"] * 8 + ["money"] * 8
    tuner = BodyTuner(str(folder), n_iterations=2, epochs=3, learning_rate=3e-3, random_state=0)
    pipe = make_pipeline(tuner, LogisticRegression()).fit(X, y)
    assert tuner.n_pairs_ == 2 * 2 * 16
    assert list(tuner.classes_) == ["animal", "money"]
    raw = SentenceEncoder(str(folder)).transform(X)
    tuned = tuner.transform(X)
    assert tuned.shape == raw.shape
    # The random-weight model does not separate the themes (silhouette about
    # 0); the finetuned one does.
    assert silhouette_score(tuned, y) > silhouette_score(raw, y) + 0.3
    assert pipe.score(X, y) >= LogisticRegression().fit(raw, y).score(raw, y)
    assert tuner.get_feature_names_out()[0] == "bodytuner0"
    with pytest.raises(ValueError, match="at least 2 classes"):
        BodyTuner(str(folder)).fit(X[:2], ["a", "a"])
    with pytest.raises(ValueError, match="16 texts but y has 3 labels"):
        BodyTuner(str(folder)).fit(X, y[:3])
