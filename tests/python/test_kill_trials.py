"""kill -9 at random moments of `embetter encode` and `embetter finetune --out --save`
(issue 18): no temporary file is left once the next run has finished, and the
two outputs of finetune are never a half-set (a tuner file beside embeddings it
did not make, or embeddings without their tuner file)."""
import random
import signal
import subprocess
import time

import numpy as np
import pytest

from conftest import ROOT, require

CLI = ROOT / "build" / "cli" / "embetter"
TRIALS = 20


def temporaries(folder):
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


def timed(args):
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def killed_after(args, delay):
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        child.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGKILL)
        child.wait()
    return child.returncode


@pytest.fixture
def cli():
    return require(CLI)


def test_encode_killed_leaves_no_temporary_file(cli, shared, tmp_path):
    model = require(shared / "fixtures" / "sbert" / "tiny-bert" / "model.safetensors").parent
    texts = tmp_path / "texts.txt"
    texts.write_text("".join(f"text number {i} with some words {i * 7 % 13}\n" for i in range(20000)))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "x.npy"
    args = [str(cli), "--quiet", "encode", "--model", str(model), "--in", str(texts), "--out", str(out),
            "--chunk-size", "500"]
    duration = timed(args)
    out.unlink()
    rng = random.Random(18)
    killed = 0
    for _ in range(TRIALS):
        killed += killed_after(args, rng.uniform(0.0, duration)) == -signal.SIGKILL
        # Unnamed temporary files (O_TMPFILE) vanish with the process.
        assert temporaries(out_dir) == []
        assert not out.exists() or np.load(out).shape == (20000, 128)
    assert killed >= TRIALS // 2, "most runs should have been killed mid-way"
    timed(args)
    assert temporaries(out_dir) == []
    assert np.load(out).shape == (20000, 128)


def test_finetune_killed_never_leaves_a_half_set(cli, tmp_path):
    core = pytest.importorskip("embetter._core")
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-1, 1, (1000, 64)), rng.normal(1, 1, (1000, 64))]).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "z.npy", x[:500])
    (tmp_path / "y.txt").write_text("a\n" * 1000 + "b\n" * 1000)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out, tuner = out_dir / "z_tuned.npy", out_dir / "tuner.safetensors"

    def args(seed):
        return [str(cli), "--quiet", "finetune", "--train", str(tmp_path / "x.npy"), "--labels",
                str(tmp_path / "y.txt"), "--apply", str(tmp_path / "z.npy"), "--out", str(out), "--save", str(tuner),
                "--epochs", "1500", "--hidden-dim", "64", "--seed", str(seed)]

    duration = timed(args(0))
    pick = random.Random(18)
    killed = 0
    for trial in range(1, TRIALS + 1):
        out.unlink(missing_ok=True)
        tuner.unlink(missing_ok=True)
        killed += killed_after(args(trial), pick.uniform(0.0, duration)) == -signal.SIGKILL
        assert temporaries(out_dir) == []
        assert out.exists() == tuner.exists(), f"trial {trial}: a half-set ({out.exists()=}, {tuner.exists()=})"
        if tuner.exists():  # the embeddings are the ones this tuner makes
            np.testing.assert_array_equal(np.load(out), core.FeedForwardTuner.load(str(tuner)).transform(np.load(tmp_path / "z.npy")))
    assert killed >= TRIALS // 2, "most runs should have been killed mid-way"
