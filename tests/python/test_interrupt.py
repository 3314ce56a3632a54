"""Ctrl-C during a long call into the C++ core: the GIL is released there, and the
core asks Python for pending signals once per epoch (finetuners), batch
(SentenceEncoder), 1,024 texts or SVD iteration (LiteTextEncoder, TextEncoder,
BytePairEncoder). A child process starts a call that would run for far longer
than RUNNING_S + PROMPT_S (else the test could not fail: Python raises
KeyboardInterrupt after an uninterruptible call returns); we send it SIGINT and
expect KeyboardInterrupt within seconds, an estimator that still works, and a
normal exit."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

import embetter
from conftest import SHARED, require, require_module

CHILD = """\
import signal, sys, time
import numpy as np
# A shell's background job (`cmd &`) starts with SIGINT ignored, and Python then
# installs no handler: restore the default one so the test does not depend on how
# the suite was launched.
signal.signal(signal.SIGINT, signal.default_int_handler)
{setup}
{calibrate}
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


def interrupt(setup: str, call: str, after: str, calibrate: str = "", scale: float = 1.0) -> float:
    """Runs the child, sends SIGINT RUNNING_S after it starts `call`, returns the
    seconds from the signal to the child's exit.

    `calibrate`, when given, is `call` on 1/scale of its data, timed in the
    child first: `call` would then take about scale times as long, and Ctrl-C
    must come well within what an uninterruptible call would still need, so
    the check holds on a fast machine too."""
    timed = (f"_t0 = time.perf_counter()\n{calibrate}\n"
             "print('calibrated', time.perf_counter() - _t0, flush=True)") if calibrate else ""
    code = CHILD.format(setup=textwrap.dedent(setup), calibrate=timed, call=call, after=after)
    env = dict(os.environ, PYTHONPATH=str(Path(embetter.__file__).resolve().parents[1]))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
    full_s = None
    try:
        line = child.stdout.readline().split()
        if calibrate and line[:1] == ["calibrated"]:
            full_s = float(line[1]) * scale
            line = child.stdout.readline().split()
        assert line == ["ready"], child.stderr.read()
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
    if full_s is not None:
        left_s = full_s - RUNNING_S
        assert elapsed < 0.5 * left_s, (f"KeyboardInterrupt came {elapsed:.1f} s after SIGINT; the call had about "
                                        f"{left_s:.1f} s left, so it was not stopped early (or make it longer)")
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


def test_ctrl_c_stops_body_finetuning():
    folder = require(SHARED / "fixtures" / "sbert" / "tiny-bert")
    interrupt(
        setup=f"""
        from embetter.finetune import SbertLearner
        texts = ["a review of a film %d" % i for i in range(400)]
        learner = SbertLearner({str(folder)!r}, epochs=100_000, random_state=0)   # hours without the signal
        """,
        call="learner.fit(texts, texts[::-1], [1.0] * 400)",
        # The weights from before the interrupted epoch stay, ready to use.
        after="assert learner.transform(['again']).shape[0] == 1",
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


# Random "words" over a 20,000-term vocabulary: a large TF-IDF space whose SVD
# takes a while, with texts generated quickly.
RANDOM_TEXTS = """
rng = np.random.default_rng(0)
words = np.array(["w%d" % i for i in range(20000)])
def random_texts(n, k):
    return [" ".join(row) for row in words[rng.integers(0, len(words), size=(n, k))]]
"""


def test_ctrl_c_stops_lite_text_encoder_fit():
    interrupt(
        setup=RANDOM_TEXTS + """
from embetter.text import LiteTextEncoder
enc = LiteTextEncoder(dim=300, random_state=0).fit(random_texts(400, 60))
before = enc.transform(["w1 w2 w3"])
texts = random_texts(120000, 60)   # ~2 minutes at load 6 without Ctrl-C, ~8 s on an idle fast core
""",
        call="enc.fit(texts)",
        after="assert (enc.transform(['w1 w2 w3']) == before).all()",  # the fit before is kept
        calibrate="LiteTextEncoder(dim=300, random_state=0).fit(texts[:3000])",  # about linear in the texts
        scale=40,
    )


def test_ctrl_c_stops_lite_text_encoder_transform():
    interrupt(
        setup=RANDOM_TEXTS + """
from embetter.text import LiteTextEncoder
base = random_texts(3000, 200)
enc = LiteTextEncoder(dim=300, random_state=0).fit(base[:400])
texts = base * 40   # ~80 s at load 6 without Ctrl-C, ~8 s on an idle fast core
""",
        call="enc.transform(texts)",
        after="assert enc.transform(base[:2]).shape == (2, 300)",
        calibrate="enc.transform(base)",
        scale=40,
    )


def test_ctrl_c_stops_byte_pair_encoder():
    model = require(SHARED / "data" / "en.wiki.bpe.vs1000.model")
    vectors = require(SHARED / "data" / "en.wiki.bpe.vs1000.d25.w2v.bin")
    interrupt(
        setup=f"""
        from embetter.text import BytePairEncoder
        enc = BytePairEncoder(model_file={str(model)!r}, vectors_file={str(vectors)!r}, agg="both").fit([])
        texts = [" ".join(["films, actors and the plot"] * 20) + " %d" % i for i in range(40000)]  # ~40 s
        """,
        call="enc.transform(texts)",
        after="assert enc.transform(['again']).shape == (1, 50)",
        calibrate="enc.transform(texts[:4000])",
        scale=10,
    )


def test_ctrl_c_stops_text_encoder(tmp_path):
    StaticModel = require_module("model2vec").StaticModel
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(require(SHARED / "fixtures" / "sbert" / "tiny-bert") / "tokenizer.json"))
    vectors = np.random.default_rng(0).standard_normal((tokenizer.get_vocab_size(), 8)).astype(np.float32)
    StaticModel(vectors, tokenizer, normalize=True).save_pretrained(tmp_path / "m2v")
    interrupt(
        setup=f"""
        from embetter.text import TextEncoder
        enc = TextEncoder({str(tmp_path / "m2v")!r}).fit([])
        base = [" ".join(["films, actors and the plot"] * 20) + " %d" % i for i in range(20000)]
        texts = base * 10   # about 20 s at load 6 without Ctrl-C
        """,
        call="enc.transform(texts)",
        after="assert enc.transform(['again']).shape == (1, 8)",
        calibrate="enc.transform(base)",
        scale=10,
    )
