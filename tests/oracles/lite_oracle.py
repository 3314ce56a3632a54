"""Goldens for LiteTextEncoder from the original embetter and scikit-learn.

argv[1] = output folder, argv[2] = the shared data folder. Writes lite_case.json:
  n_texts, dim        the first n_texts reviews of imdb-5000.jsonl, dim components;
  idf                 the original learn_lite_text_embeddings' idf_ (float16 values);
  components          TruncatedSVD(dim, random_state=0) on the same TF-IDF, cast to
                      float16 as the original does (the original cannot seed its SVD:
                      its **kwargs go to TfidfVectorizer as well);
  singular_values     of that SVD.
"""
import importlib.util
import json
import os
import sys
import types
from pathlib import Path

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

out = Path(sys.argv[1])
shared = Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)

# The original embetter shares our package's import name and lives apart; load
# its _lite.py alone (the package __init__ pulls in model2vec and friends). It
# imports skops only to save to `path`, which we do not use.
reference = Path(os.environ.get("EMB_REFERENCE_EMBETTER", Path(sys.executable).parent.parent / "reference-embetter"))
try:
    import skops.io  # noqa: F401
except ImportError:
    sys.modules["skops"] = types.ModuleType("skops")
    sys.modules["skops.io"] = skops_io = types.ModuleType("skops.io")
    skops_io.dump = skops_io.load = None
spec = importlib.util.spec_from_file_location("original_lite", reference / "embetter" / "text" / "_lite.py")
original_lite = importlib.util.module_from_spec(spec)
spec.loader.exec_module(original_lite)
learn_lite_text_embeddings = original_lite.learn_lite_text_embeddings

N_TEXTS, DIM = 1000, 20
lines = (shared / "data" / "imdb-5000.jsonl").open(encoding="utf-8")
texts = [json.loads(line)["text"] for _, line in zip(range(N_TEXTS), lines)]

pipe = learn_lite_text_embeddings(texts, dim=DIM)
tfidf, svd = pipe.steps[0][1], pipe.steps[1][1]
assert tfidf.idf_.dtype == np.float16 and svd.components_.dtype == np.float16

seeded = TruncatedSVD(n_components=DIM, random_state=0).fit(TfidfVectorizer().fit_transform(texts))
(out / "lite_case.json").write_text(json.dumps({
    "n_texts": N_TEXTS,
    "dim": DIM,
    "vocabulary_size": len(tfidf.vocabulary_),
    "idf": tfidf.idf_.astype(np.float64).tolist(),
    "components": seeded.components_.astype(np.float16).astype(np.float64).tolist(),
    "singular_values": seeded.singular_values_.tolist(),
}))
