"""A slice of scripts/mutation_run.py in the test command: mutated model files
must end in exit 2 with a short message naming the file, or in the unmutated
output, never in a signal, a hang, exit 1 or a silently different answer
(issue 18). The full run (5,700 mutants per model) is documented in
docs/reliability.md."""
import subprocess
import sys

import pytest

from conftest import ROOT, SHARED, require


@pytest.mark.parametrize("model", ["tiny-bert", "tiny-roberta", "tiny-mpnet"])
def test_mutants_end_cleanly(model):
    folder = require(SHARED / "fixtures" / "sbert" / model)
    require(ROOT / "build" / "cli" / "embetter")
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "mutation_run.py"), "--model", str(folder),
                          "--scale", "0.04", "--seed", str(len(model))], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "228 mutants" in run.stdout
