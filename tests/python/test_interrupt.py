"""Ctrl-C during a long call into the C++ core: the GIL is released there, and the
core asks Python for pending signals once per epoch (finetuners) or batch
(SentenceEncoder). A child process starts a call that would run for minutes; we
send it SIGINT and expect KeyboardInterrupt within seconds, an estimator that
still works, and a normal exit."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import embetter
from conftest import SHARED, require

CHILD = """\
import sys, time
import numpy as np
{setup}
print("ready", flush=True)
try:
    {call}
except KeyboardInterrupt:
    print("interrupted", flush=True)
    {after}
    print("still usable", flush=True)
    sys.exit(0)
print("finished before the signal", flush=True)
sys.exit(3)
"""

RUNNING_S = 1.5  # how long the call runs before SIGINT
PROMPT_S = 10.0  # how soon KeyboardInterrupt must follow (~3 s on a loaded 2-core box)


def interrupt(setup: str, call: str, after: str) -> float:
    """Runs the child, sends SIGINT RUNNING_S after it starts `call`, returns the
    seconds from the signal to the child's exit."""
    code = CHILD.format(setup=textwrap.dedent(setup), call=call, after=after)
    env = dict(os.environ, PYTHONPATH=str(Path(embetter.__file__).resolve().parents[1]))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        time.sleep(RUNNING_S)
        assert child.poll() is None, "the call ended before the signal: make it longer"
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
        elapsed = time.monotonic() - sent
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, f"exit status {child.returncode}\n{out}\n{err}"
    assert out.split() == ["interrupted", "still", "usable"], out + err
    assert elapsed < PROMPT_S, f"KeyboardInterrupt came {elapsed:.1f} s after SIGINT"
    return elapsed


def test_ctrl_c_stops_feed_forward_tuner_fit():
    interrupt(
        setup="""
        from embetter.finetune import FeedForwardTuner
        rng = np.random.default_rng(0)
        # Large enough a step that the fused trainer uses its second thread
        # (on a CPU with AVX-512 and two cores), which must stop too.
        X = rng.normal(size=(2000, 384)).astype(np.float32)
        y = np.arange(2000) % 3
        tuner = FeedForwardTuner(n_epochs=10_000_000, hidden_dim=100, random_state=0)  # hours without the signal
        """,
        call="tuner.fit(X, y)",
        after="assert tuner.transform(X[:5]).shape == (5, 100)",  # the epochs it completed stay
    )


def test_ctrl_c_stops_sentence_encoder_transform():
    folder = require(SHARED / "fixtures" / "sbert" / "tiny-bert")
    interrupt(
        setup=f"""
        from embetter.text import SentenceEncoder
        enc = SentenceEncoder({str(folder)!r}, batch_size=16).fit([])
        # Long texts, many more than encode() tokenises at a time (2048): the
        # signal is checked after each batch, so it is honoured long before
        # the later texts are tokenised.
        texts = [" ".join(["films, actors and the plot"] * 20) + " %d" % i for i in range(40000)]
        """,
        call="enc.transform(texts)",
        after="assert enc.transform(['again']).shape[0] == 1",
    )
