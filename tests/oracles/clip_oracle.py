"""Tiny random-weight CLIP models and their goldens, for ClipEncoder
(tests/unit/encoders/clip_*_test.cc, tests/python/test_clip.py).

There is no real CLIP checkpoint offline, so the models are transformers
CLIPModels with small random weights (every parameter, LayerNorms included)
and a small CLIP tokenizer: the byte-level alphabet, each symbol with "</w>",
merges learnt by `tokenizers` on a few sentences, <|startoftext|> and
<|endoftext|> last, as CLIP's own vocabulary is laid out. Three folders, the
layouts ClipEncoder reads:

- hf-clip: a plain transformers folder (save_pretrained of the model and its
  CLIPProcessor: tokenizer.json, processor_config.json); text eos_token_id is
  the real end-of-text id, and one extra added token has a larger id (so the
  legacy argmax rule would pick another position than the first-eos rule).
- st-clip-hub: the hub's sentence-transformers layout (modules.json with a
  CLIPModel module, 0_CLIPModel/ with vocab.json + merges.txt and no
  tokenizer.json, an old-style preprocessor_config.json); legacy
  eos_token_id 2; model_max_length 16 (long texts truncated); a text tower
  with gelu and a vision tower whose image_size (30) is not a multiple of its
  patch_size (7) and whose head width (20) is not one our attention kernels
  take.
- st-clip-saved: what sentence-transformers 6 saves for hf-clip followed by
  Normalize (modules.json: Transformer with path "", then Normalize).

argv[1]: output folder. Writes per folder golden.json: texts, their
input_ids (sentence-transformers' tokenisation), text embeddings from
SentenceTransformer.encode and from CLIPModel.get_text_features on each text
alone; images as PNG files, their pixel_values (the model's
CLIPImageProcessor), image embeddings from encode and from
get_image_features. Also tokenizer.json: extra texts (Unicode, spaces,
contractions, digits, special tokens inside) and their ids from the
hf-clip and st-clip-hub tokenizers.
"""
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

from clip_vocabulary import clip_vocab_and_merges  # this folder (also bench/clip_vs_sentence_transformers.py)

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
torch.set_num_threads(1)
torch.manual_seed(20240514)
rng = np.random.RandomState(7)

def randomize(model):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.2)


def write_json(path, value):
    path.write_text(json.dumps(value, ensure_ascii=False))


vocab, merges = clip_vocab_and_merges()
EOS = vocab["<|endoftext|>"]

TEXTS = [
    "a photo of a cat",
    "A PHOTO of a Dog!!",
    "",
    "two cats sitting on a red sofa and the quick brown fox jumps over the lazy dog near the sea at sunset",
    "it's 2024, we're   here\tand   there",
    "café crème brûlée — 東京 🙂",
    "photos of photographs <|endoftext|> after the end",
    "<|extra|> before the end",
    "x",
    "the sea " * 20,
]


def make_images():
    """PNG files of assorted sizes and modes, and the PIL images ClipEncoder sees."""
    images = []
    for i, (w, h, mode) in enumerate([(32, 32, "RGB"), (50, 40, "RGB"), (23, 61, "RGB"), (40, 40, "L"),
                                      (37, 29, "RGBA"), (64, 48, "RGB"), (31, 30, "P"), (8, 9, "RGB")]):
        a = rng.randint(0, 256, size=(h, w, 3)).astype(np.uint8)
        # Smooth structure as well as noise, so resizing matters.
        yy, xx = np.mgrid[0:h, 0:w]
        a[..., 0] = (a[..., 0] // 4 + (xx * 255 // max(w - 1, 1)) * 3 // 4).astype(np.uint8)
        img = Image.fromarray(a, "RGB")
        if mode == "L":
            img = img.convert("L")
        elif mode == "RGBA":
            alpha = rng.randint(0, 256, size=(h, w)).astype(np.uint8)
            img = Image.fromarray(np.dstack([a, alpha]), "RGBA")
        elif mode == "P":
            img = img.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
        images.append(img)
    return images


IMAGES = make_images()


def goldens(folder, st, model, tokenizer, processor):
    # Encoded one at a time and all at once: sentence-transformers pads a batch.
    text_emb = st.encode(TEXTS, batch_size=4)
    ids = tokenizer(TEXTS, truncation=True, max_length=st.max_seq_length)["input_ids"]
    with torch.no_grad():
        features = [model.get_text_features(input_ids=torch.tensor([i])).pooler_output[0].tolist() for i in ids]
    image_dir = folder / "images"
    image_dir.mkdir(exist_ok=True)
    names = []
    for i, img in enumerate(IMAGES):
        name = f"image{i}_{img.mode}.png"
        img.save(image_dir / name)
        names.append(name)
    # Reopened from the files, as ClipEncoder's users pass them.
    pil = [Image.open(image_dir / n) for n in names]
    image_emb = st.encode(pil, batch_size=3)
    pixels = processor(images=pil, return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        image_features = model.get_image_features(pixel_values=pixels).pooler_output
    write_json(folder / "golden.json", {
        "texts": TEXTS,
        "input_ids": ids,
        "text_embeddings": text_emb.astype(float).tolist(),
        "text_features": features,
        "images": names,
        "image_modes": [p.mode for p in pil],
        "pixel_shape": list(pixels.shape),
        "pixel_values": pixels.numpy().astype(float).reshape(len(pil), -1).tolist(),
        "image_embeddings": image_emb.astype(float).tolist(),
        "image_features": image_features.numpy().astype(float).tolist(),
        "dim": int(text_emb.shape[1]),
        "max_seq_length": int(st.max_seq_length),
        "normalized": bool(len(st) > 1),
    })


def small_config(text, vision, projection_dim):
    return CLIPConfig(text_config=text, vision_config=vision, projection_dim=projection_dim)


from sentence_transformers import SentenceTransformer  # noqa: E402  (after torch's seed)
from sentence_transformers.sentence_transformer.modules import Normalize  # noqa: E402
from sentence_transformers.base.modules.transformer import Transformer  # noqa: E402

# ---- hf-clip: a plain transformers folder ----
hf = out / "hf-clip"
shutil.rmtree(hf, ignore_errors=True)
tokenizer = CLIPTokenizer(vocab=vocab, merges=merges)
tokenizer.add_tokens(["<|extra|>"])
tokenizer.model_max_length = 24
config = small_config(
    dict(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=48, num_hidden_layers=2,
         num_attention_heads=2, max_position_embeddings=24, bos_token_id=vocab["<|startoftext|>"], eos_token_id=EOS,
         pad_token_id=EOS),
    dict(hidden_size=32, intermediate_size=40, num_hidden_layers=2, num_attention_heads=2, image_size=32,
         patch_size=8),
    16)
model = CLIPModel(config).eval()
randomize(model)
processor = CLIPProcessor(image_processor=CLIPImageProcessor(size={"shortest_edge": 32},
                                                             crop_size={"height": 32, "width": 32}),
                          tokenizer=tokenizer)
model.save_pretrained(hf)
processor.save_pretrained(hf)
st = SentenceTransformer(str(hf), device="cpu")
goldens(hf, st, model, tokenizer, processor)

# ---- st-clip-saved: sentence-transformers 6's own layout, then Normalize ----
saved = out / "st-clip-saved"
shutil.rmtree(saved, ignore_errors=True)
SentenceTransformer(modules=[Transformer(str(hf)), Normalize()], device="cpu").save(str(saved))
st = SentenceTransformer(str(saved), device="cpu")
goldens(saved, st, model, tokenizer, processor)

# ---- st-clip-hub: the hub's layout (0_CLIPModel, vocab.json + merges.txt) ----
hub = out / "st-clip-hub"
shutil.rmtree(hub, ignore_errors=True)
module = hub / "0_CLIPModel"
module.mkdir(parents=True)
config = small_config(
    dict(vocab_size=len(vocab), hidden_size=48, intermediate_size=64, num_hidden_layers=2, num_attention_heads=3,
         max_position_embeddings=20, hidden_act="gelu", bos_token_id=0, eos_token_id=2, pad_token_id=1),
    dict(hidden_size=40, intermediate_size=56, num_hidden_layers=3, num_attention_heads=2, image_size=30,
         patch_size=7),
    24)
model = CLIPModel(config).eval()
randomize(model)
with tempfile.TemporaryDirectory() as tmp:
    model.save_pretrained(tmp)
    for name in ("config.json", "model.safetensors"):
        shutil.copy(Path(tmp) / name, module / name)
write_json(module / "vocab.json", vocab)
with open(module / "merges.txt", "w", encoding="utf-8") as f:
    f.write("#version: 0.2\n")
    for a, b in merges:
        f.write(f"{a} {b}\n")
write_json(module / "special_tokens_map.json", {
    "bos_token": {"content": "<|startoftext|>", "lstrip": False, "normalized": True, "rstrip": False,
                  "single_word": False},
    "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "unk_token": "<|endoftext|>"})
write_json(module / "tokenizer_config.json", {
    "unk_token": "<|endoftext|>", "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
    "pad_token": "<|endoftext|>", "add_prefix_space": False, "errors": "replace", "do_lower_case": True,
    "model_max_length": 16, "tokenizer_class": "CLIPTokenizer"})
write_json(module / "preprocessor_config.json", {
    "crop_size": 30, "do_center_crop": True, "do_normalize": True, "do_resize": True,
    "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 30})
write_json(hub / "modules.json",
           [{"idx": 0, "name": "0", "path": "0_CLIPModel", "type": "sentence_transformers.models.CLIPModel"}])
write_json(hub / "config_sentence_transformers.json", {"__version__": {"sentence_transformers": "2.0.0"}})
st = SentenceTransformer(str(hub), device="cpu")
hub_tokenizer = st[0].tokenizer
hub_processor = st[0].processor.image_processor
goldens(hub, st, model, hub_tokenizer, hub_processor)

# ---- tokenizer goldens over harder texts ----
tok_texts = TEXTS + [
    "  leading and trailing  ", "don't won't I'm you'll they'd she's we've you're", "1234567890 3.14 1e-5",
    "Ünïcödé ÀÉÎÕÜ straße ﬁ ＡＢＣ", "tabs\tnew\nlines\r\nand\u00a0nbsp", "emoji 👍🏽 and 家族 🇯🇵",
    "<|startoftext|>inside<|endoftext|>", "punctuation!!! ... ??? ,,, ;;; --", "'s 't 're 'quoted' it's'",
    "naïve coöperate", "a" * 100, "mixed CASE WoRdS", "#hashtag @mention http://x.y/z?a=b&c=d",
]
# And 500 generated ones: runs of letters (Latin, accented, Greek, CJK),
# digits, punctuation, apostrophes, assorted whitespace, emoji and combining marks.
pieces = ["cat", "Dog", "sea", "the", "'s", "'t", "'re", "'LL", "'d", "é", "ß", "Ωμέγα", "東京", "123", "٣", "½",
          "!", "?!", "...", "--", "<|", "|>", "#", "@", "😀", "👍🏽", "e\u0301", "\u200b", " ", "  ", "\t", "\n",
          "\u3000", "\u00a0", "a", "photo", "of", "<|endoftext|>"]
gen = np.random.RandomState(11)
tok_texts += ["".join(gen.choice(pieces, size=gen.randint(1, 14))) for _ in range(500)]
hf_ids = CLIPTokenizer.from_pretrained(str(hf))(tok_texts, add_special_tokens=True)["input_ids"]
hub_ids = hub_tokenizer(tok_texts, add_special_tokens=True)["input_ids"]
write_json(out / "tokenizer.json", {"texts": tok_texts, "hf-clip": hf_ids, "st-clip-hub": hub_ids})
print("clip oracle: wrote", ", ".join(p.name for p in sorted(out.iterdir())))
