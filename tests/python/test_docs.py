"""Runs docs/finetuning.md's code blocks end to end, as one script, and README's Python example."""
import os
import re
from pathlib import Path

import numpy as np
from sklearn.metrics import silhouette_score

from conftest import ROOT, require

GUIDE = ROOT / "docs" / "finetuning.md"


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.S)


def test_finetuning_guide_runs_and_tuning_separates_classes(tmp_path, shared, minilm, monkeypatch):
    require(shared / "data" / "imdb-5000.jsonl")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EMBETTER_SHARED", str(shared))
    blocks = python_blocks(GUIDE.read_text())
    assert len(blocks) >= 6
    namespace = {"__name__": "__guide__"}
    for block in blocks:
        exec(compile(block, str(GUIDE), "exec"), namespace)

    for chart in ("pca-original.png", "pca-finetuned.png", "pca-finetuned-10.png"):
        assert (tmp_path / chart).stat().st_size > 1000
    y = namespace["y_test"]
    raw = silhouette_score(namespace["points_raw"], y)
    tuned = silhouette_score(namespace["points_tuned"], y)
    tuned10 = silhouette_score(namespace["points_tuned10"], y)
    assert tuned > raw + 0.1, (raw, tuned)
    assert tuned10 > raw + 0.1, (raw, tuned10)


def test_readme_python_example_runs(shared, minilm, capsys):
    data = require(shared / "data" / "imdb-5000.jsonl")
    readme = (ROOT / "README.md").read_text()
    (block,) = [b for b in python_blocks(readme) if "make_pipeline" in b]
    assert "../shared/data/imdb-5000.jsonl" in block
    namespace = {"__name__": "__readme__"}
    exec(compile(block.replace("../shared/data/imdb-5000.jsonl", str(data)), "README.md", "exec"), namespace)
    accuracy = float(capsys.readouterr().out.strip().splitlines()[-1])
    assert 0.6 < accuracy <= 1.0
