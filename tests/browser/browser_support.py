"""Paths and the skip-or-fail rule shared by the browser tests (a module of its
own: tests/python has a conftest.py too, so `from conftest import` is ambiguous
when both folders run in one pytest)."""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("EMBETTER_SHARED", ROOT.parent / "shared"))
IN_CI = os.environ.get("CI", "").lower() in ("true", "1")
CLI = Path(os.environ.get("EMBETTER_CLI", ROOT / "build" / "cli" / "embetter"))


def missing(what):
    """Skips locally; fails under CI=true, where every piece must be installed."""
    if IN_CI:
        pytest.fail(f"missing (CI=true): {what}")
    pytest.skip(f"missing: {what}")
