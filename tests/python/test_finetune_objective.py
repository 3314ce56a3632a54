"""FeedForwardTuner's objectives against PyTorch: from the same weights, our
training steps give the gradients (Adam's moments) and weights that the
original embetter's own network and loss give in torch.

The original's FeedForwardModel is loaded from its source file in
.venv/reference-embetter (its package name is ours, so not by import). Every
step here is one full batch, so the original's shuffling does not matter.
"""
import importlib.util
import json

import numpy as np
import pytest

from conftest import ROOT, require

from embetter import _core
from embetter.finetune import FeedForwardTuner

ORIGINAL_FORWARD = ROOT / ".venv" / "reference-embetter" / "embetter" / "finetune" / "_forward.py"
ROWS, FEATURES, HIDDEN, CLASSES, STEPS, LR = 40, 12, 6, 3, 3, 0.01


def original_forward_module():
    require(ORIGINAL_FORWARD)
    spec = importlib.util.spec_from_file_location("original_forward", ORIGINAL_FORWARD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tuner_with_weights(tmp_path, weights, objective):
    """Our C++ tuner holding `weights` (PyTorch names), fresh Adam state, set to
    take STEPS full-batch steps per partial_fit. Built by rewriting a file our
    tuner saved, as a user's saved tuner would be loaded."""
    from safetensors import safe_open
    from safetensors.numpy import save_file

    seed = _core.FeedForwardTuner(hidden_dim=HIDDEN, n_epochs=1, learning_rate=LR, batch_size=ROWS,
                                  random_state=0, objective=objective)
    seed.partial_fit(np.zeros((ROWS, FEATURES), np.float32), ["0"] * ROWS, [str(c) for c in range(CLASSES)])
    path = tmp_path / f"{objective}.safetensors"
    path.write_bytes(bytes(seed.to_bytes()))
    with safe_open(str(path), framework="np") as f:
        metadata = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    params = json.loads(metadata["params"])
    assert params["objective"] == objective
    params["n_epochs"] = STEPS
    metadata["params"] = json.dumps(params)
    metadata["optimizer.step"] = "0"
    tensors.update({k: v.astype(np.float32) for k, v in weights.items()})
    tensors["optimizer.exp_avg"] = np.zeros_like(tensors["optimizer.exp_avg"])
    tensors["optimizer.exp_avg_sq"] = np.zeros_like(tensors["optimizer.exp_avg_sq"])
    save_file(tensors, str(path), metadata=metadata)
    return _core.FeedForwardTuner.from_bytes(path.read_bytes())


def saved_tensors(tuner):
    from safetensors.numpy import load

    return load(bytes(tuner.to_bytes()))


@pytest.mark.parametrize("objective", ["sigmoid_ce", "softmax_ce"])
def test_steps_match_torch_from_the_same_weights(tmp_path, objective):
    torch = pytest.importorskip("torch")
    forward = original_forward_module()
    rng = np.random.default_rng(7)
    X = rng.standard_normal((ROWS, FEATURES)).astype(np.float32)
    y = rng.integers(0, CLASSES, ROWS)

    torch.manual_seed(0)
    model = forward.FeedForwardModel(FEATURES, HIDDEN, CLASSES)
    weights = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    ours = tuner_with_weights(tmp_path, weights, objective)

    # The original's loop for the sigmoid objective (CrossEntropyLoss of
    # model(x) = sigmoid(logits)); softmax_ce feeds the logits themselves.
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    criterion = torch.nn.CrossEntropyLoss()
    tx, ty = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(STEPS):
        optimizer.zero_grad()
        logits = model.linear(model.embed(tx))
        out = model(tx) if objective == "sigmoid_ce" else logits
        criterion(out, ty).backward()
        optimizer.step()

    ours.partial_fit(X, [str(c) for c in y], [])
    got = saved_tensors(ours)
    flat_m = np.concatenate([optimizer.state[p]["exp_avg"].numpy().ravel() for p in model.parameters()])
    flat_v = np.concatenate([optimizer.state[p]["exp_avg_sq"].numpy().ravel() for p in model.parameters()])
    # Adam's moments hold the gradients of all three steps: float32 sums of
    # 40 rows in a different order agree to ~1e-6 relative.
    np.testing.assert_allclose(got["optimizer.exp_avg"], flat_m, rtol=1e-4, atol=1e-7 * np.abs(flat_m).max())
    np.testing.assert_allclose(got["optimizer.exp_avg_sq"], flat_v, rtol=1e-3, atol=1e-7 * np.abs(flat_v).max())
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(got[name], value.numpy(), atol=2e-6, err_msg=name)


def test_the_objectives_train_differently_and_the_default_is_the_originals():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((60, 8)).astype(np.float32)
    y = np.where(X[:, 0] > 0, "a", "b")
    assert FeedForwardTuner().objective == "sigmoid_ce"
    default = FeedForwardTuner(hidden_dim=4, n_epochs=20, random_state=0).fit(X, y).transform(X)
    sigmoid = FeedForwardTuner(hidden_dim=4, n_epochs=20, random_state=0, objective="sigmoid_ce").fit(X, y)
    softmax = FeedForwardTuner(hidden_dim=4, n_epochs=20, random_state=0, objective="softmax_ce").fit(X, y)
    np.testing.assert_array_equal(default, sigmoid.transform(X))
    assert np.abs(sigmoid.transform(X) - softmax.transform(X)).max() > 1e-3


def test_an_unknown_objective_is_a_clear_error():
    X = np.zeros((4, 3), np.float32)
    with pytest.raises(ValueError, match="objective is 'hinge'; expected 'sigmoid_ce'"):
        FeedForwardTuner(objective="hinge").fit(X, ["a", "b", "a", "b"])
