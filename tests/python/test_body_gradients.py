"""The trainable transformer (issue 17) against PyTorch's autograd.

For each sentence-transformers folder: sentence-transformers embeds a few
texts in eval mode, loss = sum(embeddings * R) for a fixed random R, and
torch autograd gives every parameter's gradient. Our SentenceBody runs the
same token ids (unpadded) and the same R; embeddings must agree within 1e-5
and every gradient within 1e-4 of the norm of torch's, tensor by tensor,
matched by checkpoint name. Synthetic folders (built here with transformers)
cover what the shared fixtures do not: DistilBERT, Dense modules, ReLU and
tanh-GELU activations, and the other pooling modes.
"""
import json
import shutil

import numpy as np
import pytest

from conftest import MINILM, SHARED, require, require_module

FIXTURES = ["tiny-bert", "tiny-bert-cased-cls", "tiny-bert-max", "tiny-mpnet", "tiny-roberta"]
TEXTS = [
    "A short one.",
    "Sentence embeddings are trained end to end, with every weight of the transformer moving.",
    "Two words",
    "Gradients of the pooled, normalised vector flow back through each layer's attention and feed-forward blocks.",
]
EMBEDDING_TOLERANCE = 1e-5
GRADIENT_TOLERANCE = 1e-4   # times the norm of torch's gradient of the tensor


def _core():
    return require_module("embetter._core")


def _torch_reference(folder, texts, seed=0):
    """Embeddings, R, unpadded token ids and {checkpoint key: grad} from sentence-transformers."""
    torch = require_module("torch")
    st = require_module("sentence_transformers")
    torch.manual_seed(0)
    model = st.SentenceTransformer(str(folder), device="cpu")
    model.eval()
    features = model.preprocess(texts) if hasattr(model, "preprocess") else model.tokenize(texts)
    out = model(features)["sentence_embedding"]
    r = np.random.default_rng(seed).standard_normal(tuple(out.shape)).astype(np.float32)
    (out * torch.from_numpy(r)).sum().backward()
    ids = [
        row[mask.bool()].tolist() for row, mask in zip(features["input_ids"], features["attention_mask"])
    ]
    # Checkpoint keys as the binding names them: the module's folder, then the
    # tensor's name in its safetensors file.
    entries = json.loads((folder / "modules.json").read_text())
    grads = {}
    for entry, module in zip(entries, model):
        params = module.auto_model.named_parameters() if hasattr(module, "auto_model") else module.named_parameters()
        for name, p in params:
            key = f"{entry['path']}/{name}" if entry["path"] else name
            grads[key] = None if p.grad is None else p.grad.detach().numpy().copy()
    return out.detach().numpy(), r, ids, grads


def _compare(folder, texts, label=None):
    """Worst relative gradient error over the tensors; asserts every tolerance."""
    want, r, ids, torch_grads = _torch_reference(folder, texts)
    got, ours = _core()._body_gradients(str(folder), ids, r)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=EMBEDDING_TOLERANCE)

    used = {k for k, g in torch_grads.items() if g is not None}
    # The pooler (unused by sentence-transformers) gets no gradient; every
    # tensor that does must be one of ours, and ours must all be torch's.
    assert used <= set(ours), f"tensors torch trains that we do not: {sorted(used - set(ours))}"
    assert set(ours) <= used, f"tensors we train that torch does not: {sorted(set(ours) - used)}"
    # A tensor whose exact gradient is 0 (the key bias: softmax ignores a
    # shift shared by a query's scores) holds only rounding on both sides; it
    # is compared against the model's largest gradient instead.
    largest = max(float(np.linalg.norm(g)) for g in torch_grads.values() if g is not None)
    worst = 0.0
    for key, (grad, shape, offset, _file) in ours.items():
        expected = torch_grads[key]
        assert tuple(shape) == expected.shape, key
        assert offset == 0, key
        # The token-type table: we train (and compare) the rows we keep.
        expected = expected.reshape(-1)[: grad.size].reshape(grad.shape)
        scale = float(np.linalg.norm(expected))
        err = float(np.max(np.abs(grad - expected)))
        if scale < GRADIENT_TOLERANCE * largest:
            assert err <= GRADIENT_TOLERANCE * largest, f"{key}: max |ours - torch| {err:.3g}, expected ~0"
            continue
        assert err <= GRADIENT_TOLERANCE * scale, f"{key}: max |ours - torch| {err:.3g}, norm {scale:.3g}"
        worst = max(worst, err / scale)
    print(f"{label or folder.name}: {len(ours)} tensors, max relative gradient error {worst:.3g}")
    return worst


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_gradients_match_torch(name):
    _compare(require(SHARED / "fixtures" / "sbert" / name), TEXTS)


def test_minilm_gradients_match_torch():
    _compare(require(MINILM), TEXTS[:4], "all-MiniLM-L6-v2")


def _synthetic_folder(tmp_path, config, pooling, dense_activation=None, normalize=False):
    """A sentence-transformers folder around a random transformers model,
    using tiny-bert's tokenizer (8000 ids)."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    st = require_module("sentence_transformers")
    source = require(SHARED / "fixtures" / "sbert" / "tiny-bert")
    hf = tmp_path / "hf"
    hf.mkdir()
    for f in ["tokenizer.json", "tokenizer_config.json"]:
        shutil.copy(source / f, hf / f)
    torch.manual_seed(0)
    transformers.AutoModel.from_config(config).save_pretrained(hf)
    modules = [st.models.Transformer(str(hf), max_seq_length=48)]
    dim = config.hidden_size
    modules.append(st.models.Pooling(dim, **pooling))
    if dense_activation is not None:
        pooled = modules[1]
        width = (getattr(pooled, "get_embedding_dimension", None) or pooled.get_sentence_embedding_dimension)()
        modules.append(st.models.Dense(width, 24, activation_function=dense_activation))
    if normalize:
        modules.append(st.models.Normalize())
    folder = tmp_path / "st"
    st.SentenceTransformer(modules=modules, device="cpu").save(str(folder))
    return folder


def test_distilbert_with_dense_and_normalize_matches_torch(tmp_path):
    torch = require_module("torch")
    transformers = require_module("transformers")
    config = transformers.DistilBertConfig(
        vocab_size=8000, dim=32, n_layers=2, n_heads=4, hidden_dim=64, max_position_embeddings=64
    )
    folder = _synthetic_folder(tmp_path, config, {"pooling_mode": "mean"}, torch.nn.Tanh(), normalize=True)
    _compare(folder, TEXTS, "distilbert+dense+normalize")


def test_bert_relu_with_several_pooling_modes_matches_torch(tmp_path):
    torch = require_module("torch")
    transformers = require_module("transformers")
    config = transformers.BertConfig(
        vocab_size=8000, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        max_position_embeddings=64, hidden_act="relu",
    )
    pooling = {"pooling_mode_max_tokens": True, "pooling_mode_mean_sqrt_len_tokens": True,
               "pooling_mode_weightedmean_tokens": True, "pooling_mode_mean_tokens": False}
    folder = _synthetic_folder(tmp_path, config, pooling, torch.nn.Identity())
    _compare(folder, TEXTS, "bert-relu+max/sqrt/weighted+dense")


def test_roberta_tanh_gelu_with_last_token_matches_torch(tmp_path):
    transformers = require_module("transformers")
    config = transformers.RobertaConfig(
        vocab_size=8000, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        max_position_embeddings=66, hidden_act="gelu_new", pad_token_id=1, type_vocab_size=1,
    )
    folder = _synthetic_folder(tmp_path, config, {"pooling_mode": "lasttoken"})
    _compare(folder, TEXTS, "roberta-gelu_new+lasttoken")


def test_weight_decay_follows_transformers_trainer():
    transformers = require_module("transformers")
    st = require_module("sentence_transformers")
    for name in ["tiny-bert", "tiny-mpnet"]:
        folder = require(SHARED / "fixtures" / "sbert" / name)
        model = st.SentenceTransformer(str(folder), device="cpu")
        decayed = set(transformers.Trainer.get_decay_parameter_names(None, model))
        ours = {p["name"]: p["decay"] for p in _core()._body_parameters(str(folder))}
        for torch_name, _ in model.named_parameters():
            key = torch_name.split(".", 2)[2]   # "0.model.<checkpoint name>"
            if key in ours:
                assert ours[key] == (torch_name in decayed), key


def test_dropout_is_random_but_reproducible_by_seed():
    core = _core()
    folder = require(SHARED / "fixtures" / "sbert" / "tiny-bert")
    ids = [[2, 125, 240, 1126, 15, 3], [2, 2350, 85, 3]]
    r = np.ones((2, 128), np.float32)
    eval_mode, _ = core._body_gradients(str(folder), ids, r)
    a, grads_a = core._body_gradients(str(folder), ids, r, 7)
    b, grads_b = core._body_gradients(str(folder), ids, r, 7)
    c, _ = core._body_gradients(str(folder), ids, r, 8)
    off, _ = core._body_gradients(str(folder), ids, r, 7, hidden_dropout=0.0, attention_dropout=0.0)
    np.testing.assert_array_equal(a, b)
    for key in grads_a:
        np.testing.assert_array_equal(grads_a[key][0], grads_b[key][0])
    assert np.abs(a - eval_mode).max() > 1e-3
    assert np.abs(a - c).max() > 1e-3
    np.testing.assert_array_equal(off, eval_mode)


def test_caller_mistakes_raise_value_error():
    core = _core()
    folder = str(require(SHARED / "fixtures" / "sbert" / "tiny-bert"))
    with pytest.raises(ValueError, match="sequence 1 is empty"):
        core._body_gradients(folder, [[2, 3], []], np.zeros((2, 128), np.float32))
    with pytest.raises(ValueError, match="outside the vocabulary of 8000"):
        core._body_gradients(folder, [[2, 9000, 3]], np.zeros((1, 128), np.float32))
    with pytest.raises(ValueError, match="d_embeddings is 1x5, expected 1x128"):
        core._body_gradients(folder, [[2, 3]], np.zeros((1, 5), np.float32))
