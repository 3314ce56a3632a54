"""The original embetter's own test suite, run against our package.

The tests come from the original 0.9.1 wheel (installed by scripts/setup.sh
into .venv/reference-embetter, never copied into this repository); which of
them can run here, and why the others cannot, is checked in as
tests/compat/original-0.9.1-tests.tsv. The suite runs in a subprocess with
our package first on the path and pytest's importlib mode, so the original's
own `embetter` next to its tests is never imported.
"""
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

from conftest import ROOT, SHARED, require

SUITE = ROOT / ".venv" / "reference-embetter" / "tests"
EXPECTED = ROOT / "tests" / "compat" / "original-0.9.1-tests.tsv"


def expectations():
    out = {}
    for line in EXPECTED.read_text().splitlines():
        if line and not line.startswith("#"):
            test_id, verdict, *why = line.split("\t")
            assert verdict in ("pass", "cannot-run"), line
            assert verdict == "pass" or why, f"{test_id}: say why it cannot run"
            out[test_id] = verdict
    return out


def outcomes(tmp_path):
    """{test id or file: "pass" | "fail"} from one run of the original's suite."""
    report = tmp_path / "report.xml"
    # The original's vision tests and docstrings read tests/data/thiscatdoesnotexist.jpeg
    # (a file of its repository, not of its wheel) from the working directory.
    cat = SHARED / "data" / "thiscatdoesnotexist.jpeg"
    if cat.exists():
        (tmp_path / "tests" / "data").mkdir(parents=True, exist_ok=True)
        shutil.copy(cat, tmp_path / "tests" / "data" / cat.name)
    # Its test_readme checks README.md in the working directory: the sdist's
    # (scripts/setup.sh fetches it; tests/python/test_original_readme.py runs
    # its blocks one by one, against the original too).
    readme = ROOT / ".venv" / "reference-embetter-sdist" / "embetter-0.9.1" / "README.md"
    if readme.exists():
        shutil.copy(readme, tmp_path / "README.md")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"), HF_HUB_OFFLINE="1")
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--import-mode=importlib", "-p", "no:cacheprovider",
         "--continue-on-collection-errors", f"--junitxml={report}", f"--rootdir={SUITE}", str(SUITE)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    results = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        failed = any(child.tag in ("failure", "error", "skipped") for child in case)
        module, name = case.get("classname", "").split(".")[-1], case.get("name")
        # A file that does not import shows up as one case named after it, without a class.
        test_id = f"{name}.py" if not module else f"{module}.py::{name}"
        results[test_id] = "fail" if failed else "pass"
    return results


def test_the_originals_tests_pass_on_our_package_where_they_can_run(tmp_path):
    require(SUITE / "test_text.py")
    expected = expectations()
    got = outcomes(tmp_path)
    assert got, "the original's suite reported no tests"
    unlisted = sorted(set(got) - set(expected))
    assert not unlisted, f"tests of the original's suite missing from {EXPECTED.name}: {unlisted}"
    regressions = sorted(t for t, v in expected.items() if v == "pass" and got.get(t) != "pass")
    assert not regressions, f"the original's tests that no longer pass on ours: {regressions}"
    now_passing = sorted(t for t, v in expected.items() if v == "cannot-run" and got.get(t) == "pass")
    assert not now_passing, f"these now pass: mark them 'pass' in {EXPECTED.name}: {now_passing}"
