"""Small sentence-transformers models beyond the shared fixtures, for
tests/unit/encoders: a DistilBERT (sinusoidal positions, gelu) followed by a
Pooling that concatenates weightedmean, lasttoken and mean_sqrt_len_tokens, a
Dense layer and Normalize; and a BERT with gelu_new and a max+mean+cls
Pooling given as legacy flags. Random weights (seeded), the tiny-bert
tokenizer.

argv[1]: output folder, argv[2]: the shared folder. Writes one folder per
model, each with golden.jsonl ({text, input_ids, embedding}) and
golden_token_embeddings.json ({input_ids, token_embeddings}) for two texts.
"""
import json
import shutil
import sys
import tempfile
from pathlib import Path

import torch
from sentence_transformers import SentenceTransformer, models
from transformers import AutoTokenizer, BertConfig, BertModel, DistilBertConfig, DistilBertModel

out = Path(sys.argv[1])
shared = Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
torch.set_num_threads(1)
torch.manual_seed(1234)

tokenizer_folder = shared / "fixtures" / "sbert" / "tiny-bert"
with open(tokenizer_folder / "golden.jsonl", encoding="utf-8") as f:
    texts = [json.loads(line)["text"] for line in f][:60]


def randomize(model):
    # Every parameter random, LayerNorms included, so a wrong one shows.
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.2)


def build(name, hf_model, pooling_kwargs, extra):
    with tempfile.TemporaryDirectory() as tmp:
        hf_model.save_pretrained(tmp, safe_serialization=True)
        AutoTokenizer.from_pretrained(str(tokenizer_folder)).save_pretrained(tmp)
        transformer = models.Transformer(tmp, max_seq_length=96)
        pooling = models.Pooling(transformer.get_word_embedding_dimension(), **pooling_kwargs)
        modules = [transformer, pooling] + extra(pooling.get_sentence_embedding_dimension())
        st = SentenceTransformer(modules=modules, device="cpu")
        target = out / name
        if target.exists():
            shutil.rmtree(target)
        st.save(str(target))
    st = SentenceTransformer(str(target), device="cpu")
    emb = st.encode(texts, batch_size=16, convert_to_numpy=True)
    ids = st.tokenizer(texts, truncation=True, max_length=st.max_seq_length)["input_ids"]
    with open(target / "golden.jsonl", "w", encoding="utf-8") as f:
        for t, i, e in zip(texts, ids, emb):
            f.write(json.dumps({"text": t, "input_ids": i, "embedding": [float(v) for v in e]}) + "\n")
    tokens = []
    with torch.no_grad():
        for i in ids[:2]:
            h = st[0].auto_model(input_ids=torch.tensor([i])).last_hidden_state[0]
            tokens.append(h.tolist())
    (target / "golden_token_embeddings.json").write_text(json.dumps({"input_ids": ids[:2], "token_embeddings": tokens}))


distil = DistilBertModel(DistilBertConfig(vocab_size=8000, dim=64, n_layers=2, n_heads=4, hidden_dim=96,
                                          max_position_embeddings=128, sinusoidal_pos_embds=True,
                                          activation="gelu"))
randomize(distil)
build("tiny-distilbert-dense", distil,
      {"pooling_mode": ["weightedmean", "lasttoken", "mean_sqrt_len_tokens"]},
      lambda d: [models.Dense(d, 24, activation_function=torch.nn.Tanh()), models.Normalize()])

bert = BertModel(BertConfig(vocab_size=8000, hidden_size=48, num_hidden_layers=2, num_attention_heads=3,
                            intermediate_size=80, max_position_embeddings=128, hidden_act="gelu_new",
                            layer_norm_eps=1e-7), add_pooling_layer=False)
randomize(bert)
build("tiny-bert-gelu-new", bert, {"pooling_mode": ["cls", "max", "mean"]},
      lambda d: [models.Dense(d, 16, bias=False, activation_function=torch.nn.Identity())])
# The legacy layout: pooling flags instead of pooling_mode.
pooling_config = out / "tiny-bert-gelu-new" / "1_Pooling" / "config.json"
config = json.loads(pooling_config.read_text())
config.pop("pooling_mode")
config.update({"pooling_mode_cls_token": True, "pooling_mode_max_tokens": True, "pooling_mode_mean_tokens": True})
pooling_config.write_text(json.dumps(config))
