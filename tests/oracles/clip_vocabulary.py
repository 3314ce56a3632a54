"""A small CLIP tokenizer vocabulary, laid out as CLIP's own: the byte-level
alphabet, each symbol again with "</w>", merges learnt by `tokenizers` on a
few sentences, <|startoftext|> and <|endoftext|> last. There is no real CLIP
tokenizer offline; tests/oracles/clip_oracle.py and
bench/clip_vs_sentence_transformers.py build their CLIPTokenizer from it.
"""
import json

from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers

CLIP_SPLIT = r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
CORPUS = [
    "a photo of a cat", "a photo of a dog", "the quick brown fox jumps over the lazy dog",
    "two cats sitting on a red sofa", "an image of the sea at sunset, with boats!",
    "it's 2024 and we're here", "café crème brûlée", "photos of photographs",
] * 10


def byte_alphabet():
    # GPT-2's bytes_to_unicode order, which CLIP's vocabulary starts with.
    bs = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def clip_vocab_and_merges():
    tok = Tokenizer(models.BPE(end_of_word_suffix="</w>", continuing_subword_prefix="", unk_token="<|endoftext|>"))
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "),
                                           normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(CLIP_SPLIT), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False)])
    trainer = trainers.BpeTrainer(vocab_size=420, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  end_of_word_suffix="</w>", show_progress=False)
    tok.train_from_iterator(CORPUS, trainer)
    merges = [tuple(m) for m in json.loads(tok.to_str())["model"]["merges"]]
    alphabet = byte_alphabet()
    tokens = alphabet + [c + "</w>" for c in alphabet]
    for a, b in merges:
        if a + b not in tokens:
            tokens.append(a + b)
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    return {t: i for i, t in enumerate(tokens)}, merges
