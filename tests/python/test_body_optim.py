"""Body finetuning's losses, AdamW, lr schedule and gradient clipping against
sentence-transformers, torch and transformers, in process (issue 17).

The losses are sentence-transformers' own classes (compute_loss_from_embeddings)
differentiated by torch's autograd; the optimizer is the torch.optim.AdamW
over two groups that sentence-transformers' fit builds, stepped under
transformers' get_linear_schedule_with_warmup with clip_grad_norm_ first.
"""
import numpy as np
import pytest

from conftest import require_module
from embetter import _core

RTOL = 1e-5


def _torch():
    torch = require_module("torch")
    require_module("sentence_transformers")
    return torch


def _torch_loss(kind, a, b, labels):
    """sentence-transformers' loss and torch's gradients for the same embeddings."""
    torch = _torch()
    from sentence_transformers.sentence_transformer import losses

    ta = torch.tensor(a, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    if kind == "cosine":
        loss = losses.CosineSimilarityLoss(model=None).compute_loss_from_embeddings([ta, tb], torch.tensor(labels))
    elif kind == "contrastive":
        loss = losses.ContrastiveLoss(model=None).compute_loss_from_embeddings([ta, tb], torch.tensor(labels))
    else:
        # Our candidates are the positives then blocks of hard negatives; ST takes them as columns.
        n = a.shape[0]
        columns = [tb[k * n:(k + 1) * n] for k in range(b.shape[0] // n)]
        loss = losses.MultipleNegativesRankingLoss(model=None).compute_loss_from_embeddings([ta, *columns], None)
    loss.backward()
    return loss.item(), ta.grad.numpy(), tb.grad.numpy()


def _assert_close(ours, ref, what):
    # Relative to each array's largest element: an element that cancels to
    # ~0 carries float rounding of the larger terms it came from.
    scale = max(float(np.max(np.abs(ref))), 1e-30)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=RTOL * scale, err_msg=what)


def _pairs(rng, n, d, zero_row=False):
    a = rng.standard_normal((n, d)).astype(np.float32)
    b = rng.standard_normal((n, d)).astype(np.float32)
    if zero_row:
        a[0] = 0.0
    return a, b


CASES = [
    # (kind, n, d, zero_row, labels: "random" | "zeros" | "ones" | "binary" | None)
    ("cosine", 16, 32, False, "random"),
    ("cosine", 1, 8, False, "random"),
    ("cosine", 8, 16, True, "random"),
    ("cosine", 8, 16, False, "zeros"),
    ("cosine", 8, 16, False, "ones"),
    ("contrastive", 16, 32, False, "binary"),
    ("contrastive", 1, 8, False, "ones"),
    ("contrastive", 8, 16, True, "binary"),
    ("contrastive", 8, 16, False, "zeros"),
    ("mnrl", 16, 32, False, None),
    ("mnrl", 1, 8, False, None),
    ("mnrl", 8, 16, True, None),
]


@pytest.mark.parametrize("kind,n,d,zero_row,labels", CASES)
def test_loss_and_gradients_match_sentence_transformers(kind, n, d, zero_row, labels):
    rng = np.random.default_rng(n * 100 + d + zero_row)
    a, b = _pairs(rng, n, d, zero_row)
    if kind == "contrastive":
        # Pull some pairs together so the margin term is active for part of the batch.
        b[::2] = a[::2] + 0.4 * b[::2]
    y = {
        "random": rng.uniform(0, 1, n),
        "zeros": np.zeros(n),
        "ones": np.ones(n),
        "binary": (np.arange(n) % 3 == 0).astype(float),
        None: None,
    }[labels]
    y = None if y is None else y.astype(np.float32)
    loss, ga, gb = _core._body_loss(kind, a, b, y)
    ref_loss, ref_ga, ref_gb = _torch_loss(kind, a, b, y)
    assert loss == pytest.approx(ref_loss, rel=RTOL, abs=1e-7)
    _assert_close(ga, ref_ga, "d loss / d a")
    _assert_close(gb, ref_gb, "d loss / d b")


def test_mnrl_with_hard_negatives_matches_sentence_transformers():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((6, 12)).astype(np.float32)
    b = rng.standard_normal((18, 12)).astype(np.float32)  # positives, then two blocks of hard negatives
    loss, ga, gb = _core._body_loss("mnrl", a, b)
    ref_loss, ref_ga, ref_gb = _torch_loss("mnrl", a, b, None)
    assert loss == pytest.approx(ref_loss, rel=RTOL)
    _assert_close(ga, ref_ga, "d loss / d anchors")
    _assert_close(gb, ref_gb, "d loss / d candidates")


def test_loss_errors_name_the_argument():
    a = np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match=r"labels\[1\] is 1.5; expected a similarity score in \[0, 1\]"):
        _core._body_loss("cosine", a, a, np.array([0, 1.5, 0], np.float32))
    with pytest.raises(ValueError, match=r"labels\[2\] is 0.5; expected 0 \(dissimilar pair\) or 1"):
        _core._body_loss("contrastive", a, a, np.array([0, 1, 0.5], np.float32))
    with pytest.raises(ValueError, match="a has 3 rows but b has 2"):
        _core._body_loss("cosine", a, a[:2], np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="empty batch"):
        _core._body_loss("contrastive", a[:0], a[:0], np.zeros(0, np.float32))
    with pytest.raises(ValueError, match="'hinge' is not a loss"):
        _core._body_loss("hinge", a, a)


@pytest.mark.parametrize(
    "warmup,total", [(0, 10), (3, 10), (10, 10), (7, 3), (10000, 120), (4, 1), (100, 1000)]
)
def test_lr_schedule_is_bit_identical_to_transformers(warmup, total):
    torch = _torch()
    transformers = require_module("transformers")
    base = 2e-5
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([p], lr=base)
    sched = transformers.get_linear_schedule_with_warmup(opt, num_warmup_steps=warmup, num_training_steps=total)
    for step in range(total + 3):
        # The lr the (step+1)-th update uses, as the Trainer steps optimizer then scheduler.
        assert _core._body_lr(base, step, warmup, total) == opt.param_groups[0]["lr"], step
        opt.step()
        sched.step()


def test_clip_matches_torch():
    torch = _torch()
    rng = np.random.default_rng(5)
    for scale in (0.01, 1.0, 30.0):  # below max_norm (no change), near it, far above
        grads = [(scale * rng.standard_normal(shape)).astype(np.float32) for shape in [(7, 5), (5,), (3, 2, 4), (1,)]]
        params = [torch.nn.Parameter(torch.zeros(g.shape)) for g in grads]
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g)
        ref_norm = torch.nn.utils.clip_grad_norm_(params, max_norm=1.0).item()
        norm, clipped = _core._body_clip(grads, 1.0)
        assert norm == pytest.approx(ref_norm, rel=1e-6)
        for ours, p in zip(clipped, params):
            np.testing.assert_allclose(ours, p.grad.numpy(), rtol=1e-6, atol=0)


def test_adamw_with_schedule_and_clipping_matches_torch():
    """30 steps of fit's optimizer (two AdamW groups), clip_grad_norm_ and lr schedule."""
    torch = _torch()
    transformers = require_module("transformers")
    rng = np.random.default_rng(11)
    shapes = [(6, 5), (5,), (4, 3, 2), (7,), (3, 8)]
    decay = [True, False, True, False, True]
    start = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    steps, warmup, base_lr = 30, 6, 1e-2
    # Gradient scales vary so that some steps are clipped and some are not
    # (90 elements: the total norm is about 10 times the scale).
    scales = 10 ** rng.uniform(-2.5, 0.5, steps)
    grads = [[(scale * rng.standard_normal(s)).astype(np.float32) for s in shapes] for scale in scales]

    params = [torch.nn.Parameter(torch.tensor(x)) for x in start]
    groups = [
        {"params": [p for p, dc in zip(params, decay) if dc], "weight_decay": 0.01},
        {"params": [p for p, dc in zip(params, decay) if not dc], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=base_lr)  # fit: optimizer_class(groups, **{"lr": ...})
    sched = transformers.get_linear_schedule_with_warmup(opt, num_warmup_steps=warmup, num_training_steps=steps)
    lrs, clipped_steps = [], 0
    for step in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        for p, g in zip(params, grads[step]):
            p.grad = torch.tensor(g)
        clipped_steps += torch.nn.utils.clip_grad_norm_(params, max_norm=1.0).item() > 1.0
        opt.step()
        sched.step()
        opt.zero_grad()
    assert 0 < clipped_steps < steps

    assert lrs == [_core._body_lr(base_lr, s, warmup, steps) for s in range(steps)]
    ours = _core._body_adamw_steps(start, grads, decay, lrs, weight_decay=0.01, max_grad_norm=1.0)
    for x, p, s in zip(ours, params, shapes):
        assert x.shape == s
        ref = p.detach().numpy()
        np.testing.assert_allclose(x, ref, rtol=1e-6, atol=1e-6 * float(np.max(np.abs(ref))))
    # The parameters moved well beyond that tolerance: the comparison is not vacuous.
    assert max(float(np.max(np.abs(x - s0))) for x, s0 in zip(ours, start)) > 1e-2


def test_adamw_defaults_are_fits():
    """fit's optimizer: torch.optim.AdamW(lr=2e-5) with weight_decay 0.01; eps and betas are torch's."""
    torch = _torch()
    import inspect

    defaults = inspect.signature(torch.optim.AdamW).parameters
    assert defaults["eps"].default == 1e-8
    assert defaults["betas"].default == (0.9, 0.999)
    fit = inspect.signature(require_module("sentence_transformers").SentenceTransformer.fit).parameters
    assert fit["optimizer_params"].default == {"lr": 2e-5}
    assert fit["weight_decay"].default == 0.01
    assert fit["max_grad_norm"].default == 1
    rng = np.random.default_rng(1)
    start = [rng.standard_normal((4, 3)).astype(np.float32)]
    grads = [[rng.standard_normal((4, 3)).astype(np.float32)] for _ in range(3)]
    p = torch.nn.Parameter(torch.tensor(start[0]))
    opt = torch.optim.AdamW([p], lr=2e-5, weight_decay=0.01)
    for g in grads:
        p.grad = torch.tensor(g[0])
        opt.step()
    # The binding's keyword defaults are the same as torch's and fit's.
    (ours,) = _core._body_adamw_steps(start, grads, [True], [2e-5] * 3)
    np.testing.assert_allclose(ours, p.detach().numpy(), rtol=1e-6)
