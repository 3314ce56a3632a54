"""Runs docs/finetuning.md's code blocks end to end, as one script, and README's Python example;
checks that docs/python.md's table names every public name of the original 0.9.1."""
import os
import re
from pathlib import Path

import numpy as np
from sklearn.metrics import silhouette_score

from conftest import ROOT, oracle_folder, require

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
    (block,) = [b for b in python_blocks(readme) if "make_pipeline" in b and "SentenceEncoder" in b]
    assert "../shared/data/imdb-5000.jsonl" in block
    namespace = {"__name__": "__readme__"}
    exec(compile(block.replace("../shared/data/imdb-5000.jsonl", str(data)), "README.md", "exec"), namespace)
    accuracy = float(capsys.readouterr().out.strip().splitlines()[-1])
    assert 0.6 < accuracy <= 1.0


def test_readme_image_example_runs_on_the_tiny_clip_fixture(tmp_path, capsys):
    """README's image example, with the tiny CLIP fixture of tests/oracles/clip_oracle.py
    for clip-ViT-B-32 and its images (two of one kind, two of another) for the photos."""
    from test_clip import FIXTURES

    folder = oracle_folder("clip", FIXTURES, tmp_path) / "hf-clip"
    readme = (ROOT / "README.md").read_text()
    (block,) = [b for b in python_blocks(readme) if "ClipEncoder" in b and "LogisticRegression" in b]
    images = sorted((folder / "images").glob("*.png"))
    assert len(images) >= 5
    photos = {"cat1": images[0], "dog1": images[1], "cat2": images[2], "dog2": images[3], "cat3": images[4]}
    for name, path in photos.items():
        assert f'"photos/{name}.jpg"' in block
        block = block.replace(f'"photos/{name}.jpg"', repr(str(path)))
    assert block.count('"clip-ViT-B-32"') == 2
    block = block.replace('"clip-ViT-B-32"', repr(str(folder)))
    namespace = {"__name__": "__readme__"}
    exec(compile(block, "README.md", "exec"), namespace)
    (prediction,) = eval(capsys.readouterr().out.strip().splitlines()[-1])
    assert prediction in ("cat", "dog")
    assert namespace["queries"].shape == (2, namespace["pipe"][1].transform([str(photos["cat1"])]).shape[1])


def original_public_names(package: Path) -> dict[str, set[str]]:
    """{module: names} the original's public modules offer: their __all__, or
    else what they define or import from embetter at top level (read from the
    source, so that optional libraries missing here hide no name)."""
    import ast

    def statements(body):
        for node in body:
            if isinstance(node, ast.Try):  # the original's optional imports
                handlers = [s for h in node.handlers for s in h.body]
                yield from statements(node.body + handlers + node.orelse + node.finalbody)
            else:
                yield node

    files = [package / "__init__.py", *sorted(package.glob("[!_]*.py")), *sorted(package.glob("[!_]*/__init__.py"))]
    out = {}
    for path in files:
        parts = path.relative_to(package.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        names, declared = set(), None
        for node in statements(ast.parse(path.read_text()).body):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id == "__all__":
                        declared = set(ast.literal_eval(node.value))
                    elif isinstance(target, ast.Name):
                        names.add(target.id)
            elif isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith("embetter")):
                names.update(a.asname or a.name for a in node.names)
        out[module] = declared if declared is not None else {
            n for n in names if not n.startswith("_") or n in ("__version__", "__title__")
        }
    return out


def test_python_md_lists_every_public_name_of_the_original():
    package = require(ROOT / ".venv" / "reference-embetter" / "embetter")
    text = (ROOT / "docs" / "python.md").read_text()
    table = text.split("## Every public name of the original 0.9.1, and ours", 1)[1].split("\n## ", 1)[0]
    first_column = " ".join(row.split("|")[1] for row in table.splitlines() if row.startswith("| `"))
    names = original_public_names(package)
    assert "ClipEncoder" in names["embetter.multi"] and "__version__" in names["embetter"]
    missing = sorted(
        f"{module}.{name}" for module, found in names.items() for name in found
        if not re.search(rf"`(?:[\w.]+\.)?{re.escape(name)}`", first_column)
    )
    assert not missing, f"public names of the original missing from docs/python.md's table: {missing}"
