"""Goldens for the text module from scikit-learn and CPython itself.

argv[1] = output folder, argv[2] = the shared data folder. Writes:
  unicode_table.bin  Python's str.lower() and re `\\w` for every assigned code
                     point, plus the Final_Sigma outcome of three contexts;
  tfidf_cases.json   TfidfVectorizer cases: texts, options, vocabulary, idf and
                     the fit_transform / transform matrices (CSR, float64).
"""
import json
import re
import struct
import sys
import unicodedata
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

out = Path(sys.argv[1])
shared = Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)

# --- Unicode: one record per code point Python knows (category not Cn/Cs) ----
# record = u32 code point, u32[3] lower() (0-padded), u8 flags:
#   bit 0: \w matches; bit 1: (c + "Σ").lower() ends in final sigma;
#   bit 2: ("A" + c + "Σ").lower() ends in final sigma; bit 3: ("AΣ" + c).lower()[1] is final sigma.
word = re.compile(r"\w")
records = bytearray()
for cp in range(0x110000):
    c = chr(cp)
    if unicodedata.category(c) in ("Cn", "Cs"):
        continue
    low = [ord(x) for x in c.lower()]
    assert len(low) <= 3
    flags = (1 if word.match(c) else 0)
    flags |= 2 if (c + "Σ").lower()[-1] == "ς" else 0
    flags |= 4 if ("A" + c + "Σ").lower()[-1] == "ς" else 0
    flags |= 8 if ("AΣ" + c).lower()[1] == "ς" else 0
    records += struct.pack("<4IB", cp, *(low + [0] * (3 - len(low))), flags)
(out / "unicode_table.bin").write_bytes(bytes(records))

# --- TF-IDF cases ------------------------------------------------------------
reviews = [json.loads(line)["text"] for line in (shared / "data" / "imdb-5000.jsonl").open(encoding="utf-8")]
tricky = [
    "Café CAFÉ cafe\u0301 naïve Ångström",                  # precomposed vs combining accent
    "東京は日本の首都です。 北京 서울특별시 ＡＢＣ ｆｕｌｌwidth",   # CJK, Hangul, full-width
    "snake_case __init__ _x x_ a_b 3_14 2024 ١٢٣ ⅫⅠ ½½ ²³ x²",  # underscores, digits, numbers
    "don't won’t rock'n'roll O'Brien l'été",               # apostrophes
    "İstanbul İZMİR ıiIİ DİYARBAKIR",                       # Turkish dotted/dotless i
    "Straße STRASSE ß ẞ Maß",                                # German sharp s
    "ΟΔΟΣ ΟΔΟΣ. ΣΟΦΟΣ Σ ΑΣ ΑΣ' ὈΔΥΣΣΕΎΣ Σσς",             # Greek final sigma contexts
    "emoji 😀😀 tokens🙂ok x\u200by ab\u00adcd tab\tnew\nline",  # symbols, zero-width, soft hyphen
    "A B C 1 2 ab AB Ab aB",                                 # one-character words are dropped
    "Mixed ÅNGSTRÖM Ǆemal ǅ ǆ ﬁne ﬃ",                         # titlecase digraphs, ligatures
]


def csr(m):
    m = m.tocsr()
    m.sort_indices()
    return {"indptr": m.indptr.tolist(), "indices": m.indices.tolist(), "values": m.data.tolist()}


def case(name, fit_texts, transform_texts, **options):
    v = TfidfVectorizer(**options)
    fitted = v.fit_transform(fit_texts)
    return {
        "name": name,
        "options": options,
        "fit_texts": fit_texts,
        "transform_texts": transform_texts,
        "vocabulary": v.get_feature_names_out().tolist(),
        "idf": v.idf_.tolist() if v.use_idf else [],
        "fit_transform": csr(fitted),
        "transform": csr(v.transform(transform_texts)),
    }


train, held_out = reviews[:300], reviews[300:400]


def untied_max_features(texts, near):
    """The largest k <= near where the k-th and (k+1)-th corpus counts differ, so
    that the top k terms do not depend on how ties are broken."""
    counts = CountVectorizer().fit_transform(texts)
    tf = sorted(np.asarray(counts.sum(axis=0)).ravel().tolist(), reverse=True)
    return next(k for k in range(near, 0, -1) if tf[k - 1] != tf[k])


cases = [
    case("imdb_default", train, held_out),
    case("imdb_sublinear_raw_idf_bounds", train, held_out, sublinear_tf=True, smooth_idf=False, min_df=2, max_df=0.5),
    case("imdb_fraction_min_count_max", train, held_out, min_df=0.01, max_df=50),
    case("imdb_max_features", train, held_out, max_features=untied_max_features(train, 500)),
    # A cut inside a group of equal counts: which tied terms survive is unspecified.
    case("imdb_max_features_tied", train, held_out, max_features=500),
    case("imdb_no_lowercase_no_idf", train, held_out, lowercase=False, use_idf=False),
    case("unicode_default", tricky, tricky[::-1] + ["unseen words only", ""]),
    case("unicode_no_lowercase", tricky, tricky, lowercase=False),
]
(out / "tfidf_cases.json").write_text(json.dumps(cases, ensure_ascii=False), encoding="utf-8")
