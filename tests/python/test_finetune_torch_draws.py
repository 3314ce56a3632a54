"""FeedForwardTuner(random_state=s) draws what the original embetter draws after
torch.manual_seed(s): the same initial weights, bit for bit, and the same
minibatches in every epoch, so the two fits differ only by float rounding.

The original's FeedForwardTuner runs from its source in .venv/reference-embetter
(its package name is ours, so not by import), in torch, in this process.
"""
import numpy as np
import pytest

from test_finetune_objective import original_forward_module

from embetter import _core
from embetter.finetune import FeedForwardTuner

ROWS, FEATURES, HIDDEN, CLASSES = 43, 12, 7, 3  # 43 rows: batches of 8 leave a short last one


def data(seed=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((ROWS, FEATURES)).astype(np.float32)
    y = rng.integers(0, CLASSES, ROWS)
    return X, y


def saved_tensors(tuner):
    from safetensors.numpy import load

    return load(bytes(tuner.to_bytes()))


@pytest.mark.parametrize("seed", [0, 42, 2**32 + 5])
def test_the_initial_weights_are_torchs_bit_for_bit(seed):
    torch = pytest.importorskip("torch")
    forward = original_forward_module()
    torch.manual_seed(seed)
    model = forward.FeedForwardModel(FEATURES, HIDDEN, CLASSES)
    # One step at a learning rate of 1e-30 leaves every weight of this size as
    # it was drawn (w + 1e-30 rounds back to w).
    ours = _core.FeedForwardTuner(hidden_dim=HIDDEN, n_epochs=1, learning_rate=1e-30, batch_size=ROWS,
                                  random_state=seed, objective="sigmoid_ce")
    X, y = data()
    ours.partial_fit(X, [str(c) for c in y], [str(c) for c in range(CLASSES)])
    got = saved_tensors(ours)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(got[name], value.numpy(), err_msg=name)


def original_fit(torch, seed, X, y, calls=1, **params):
    forward = original_forward_module()
    torch.manual_seed(seed)
    tuner = forward.FeedForwardTuner(**params)
    for _ in range(calls):
        tuner.partial_fit(X, y, classes=np.arange(CLASSES))
    return tuner.transform(X)


@pytest.mark.parametrize("calls", [1, 2])
def test_a_seeded_fit_follows_the_originals_after_torch_manual_seed(calls):
    torch = pytest.importorskip("torch")
    X, y = data()
    params = dict(hidden_dim=HIDDEN, n_epochs=6, learning_rate=0.05, batch_size=8)
    expected = original_fit(torch, 42, X, y, calls, **params)

    ours = FeedForwardTuner(random_state=42, **params)
    for _ in range(calls):
        ours.partial_fit(X, y, classes=np.arange(CLASSES))
    # Same draws, same steps: only float rounding (summation order) differs,
    # ~1e-7 per step, over 36 or 72 Adam steps.
    np.testing.assert_allclose(ours.transform(X), expected, atol=2e-5)

    # Another seed's draws give a visibly different fit: the check above can fail.
    other = FeedForwardTuner(random_state=43, **params).fit(X, y).transform(X)
    assert np.abs(other - expected).max() > 1e-2
