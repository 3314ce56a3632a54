#!/usr/bin/env python3
"""Feeds mutated model files to `embetter encode` and checks how each run ends.

Issue 18's hostile-user run, repeatable: for one sentence-transformers folder
(default: ../shared/fixtures/sbert/tiny-bert) it writes mutants of
model.safetensors (3,000), tokenizer.json (1,000), config.json, modules.json,
1_Pooling/config.json (500 each) and sentence_bert_config.json (200), each in
a copy of the folder with that one file changed, and runs

    embetter encode --model MUTANT --in texts.txt --out out.npy

A run passes when it
  * exits 2 with a message that names the mutated file and is under 1 KB, or
  * exits 0 with the baseline's embeddings, or different ones only where the
    mutant is still a valid file whose meaning changed (a boolean flipped, an
    optional key removed: `changed`, listed for review), never non-finite;
and fails on a signal, a hang (--timeout), exit 1 or any other code, a longer
or unnamed message, or non-finite output.

Mutations of JSON files replace a random node with another JSON type, an id
out of range (2^31, 2^32, 2^40, -1), a value nested 100 to 100,000 levels
deep, a 100 KB string, a number out of range (1e999999), or remove or
duplicate a key, or corrupt the text (truncate, flip, insert bytes, invalid
UTF-8). Mutations of model.safetensors do the same to its JSON header (with
the length field fixed up), corrupt the length field, truncate the file, write
NaN or infinity into a tensor, or flip a byte of the header.

    .venv/bin/python scripts/mutation_run.py [--model DIR] [--scale 1.0] [--jobs 2] [--seed 18]

--scale multiplies every count (0.1 for a quick run). Prints a summary by file
and outcome and exits 1 if any run failed.
"""
import argparse
import collections
import concurrent.futures
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("EMBETTER_SHARED", ROOT.parent / "shared"))
COUNTS = {
    "model.safetensors": 3000,
    "tokenizer.json": 1000,
    "config.json": 500,
    "modules.json": 500,
    "1_Pooling/config.json": 500,
    "sentence_bert_config.json": 200,
}
TEXTS = ["A short sentence.", "Another one, with punctuation!", "naïve café", "", "x " * 300, "数字 and ASCII"]

# --- JSON mutations ---------------------------------------------------------


def nodes(value, path=()):
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from nodes(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value[:50]):  # a vocabulary's 30,000 entries need not all be candidates
            yield from nodes(v, path + (i,))


def replace_at(value, path, new):
    if not path:
        return new
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new
    return value


DEEP = "<<DEEP>>"
MUTATION_DETAIL = {}  # thread → where the last value mutation struck, for the report


def replacement(rng):
    kind = rng.choice(["type", "id", "deep", "long", "range", "null", "empty"])
    if kind == "type":
        return kind, rng.choice([True, False, 0, 1, -7, 3.5, "text", [1, 2], {"k": "v"}])
    if kind == "id":
        return kind, rng.choice([2**31, 2**32, 2**40, -1, 2**31 - 1, 2**63])
    if kind == "deep":
        return kind, DEEP + str(rng.choice([100, 1000, 20000, 100000]))
    if kind == "long":
        return kind, "w" * 100_000
    if kind == "range":
        return kind, "<<RANGE>>"
    if kind == "null":
        return kind, None
    return kind, rng.choice([[], {}, ""])


def render(value, rng):
    text = json.dumps(value)
    while DEEP in text:
        start = text.index('"' + DEEP)
        end = text.index('"', start + 1)
        depth = int(text[start + 1 + len(DEEP):end])
        opener = rng.choice("[{")
        inner = "[" * depth + "]" * depth if opener == "[" else '{"a": ' * depth + "1" + "}" * depth
        text = text[:start] + inner + text[end + 1:]
    return text.replace('"<<RANGE>>"', "1e999999")


def mutate_json_text(text, rng):
    """One mutation of a JSON document's text; returns (class, new text)."""
    kind = rng.random()
    if kind < 0.55:
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        candidates = list(nodes(value))
        path, _ = rng.choice(candidates)
        name, new = replacement(rng)
        mutant = render(replace_at(value, path, new), rng)
        shown = new if not isinstance(new, str) or len(new) < 40 else new[:20] + "…"
        MUTATION_DETAIL[threading.get_ident()] = f"{'/'.join(map(str, path))} = {shown!r}"
        return f"value:{name}", mutant
    if kind < 0.7:
        value = json.loads(text)
        dicts = [(p, v) for p, v in nodes(value) if isinstance(v, dict) and v]
        if not dicts:
            return "text:truncate", text[: rng.randrange(len(text))]
        path, d = rng.choice(dicts)
        key = rng.choice(list(d))
        MUTATION_DETAIL[threading.get_ident()] = "/".join(map(str, path + (key,)))
        if rng.random() < 0.5:
            del d[key]
            return "key:remove", json.dumps(value)
        # a duplicate key: the format leaves it undefined; ours takes the last or refuses
        raw = json.dumps(value)
        marker = json.dumps(key) + ":"
        at = raw.find(marker)
        return "key:duplicate", raw[:at] + marker + " null, " + raw[at:] if at >= 0 else raw
    data = bytearray(text.encode())
    op = rng.choice(["truncate", "flip", "insert", "utf8"])
    if op == "truncate":
        return "text:truncate", bytes(data[: rng.randrange(len(data))]).decode("utf-8", "replace")
    at = rng.randrange(len(data))
    if op == "flip":
        data[at] ^= 1 << rng.randrange(8)
    elif op == "insert":
        data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    else:
        data[at:at] = b"\xc3\x28\xff"
    return f"text:{op}", bytes(data)


# --- safetensors mutations --------------------------------------------------


def mutate_safetensors(blob, rng):
    (n,) = struct.unpack("<Q", blob[:8])
    header, data = blob[8 : 8 + n], blob[8 + n :]
    kind = rng.random()
    if kind < 0.45:
        name, text = mutate_json_text(header.decode(), rng)
        raw = text if isinstance(text, bytes) else text.encode()
        return f"header-{name}", struct.pack("<Q", len(raw)) + raw + data
    if kind < 0.55:
        bad = rng.choice([0, 1, 7, n - 1, n + 1, len(blob), 2**40, 2**64 - 1])
        return "length-field", struct.pack("<Q", bad) + blob[8:]
    if kind < 0.7:
        return "truncate", blob[: rng.randrange(len(blob))]
    if kind < 0.9:
        meta = json.loads(header)
        tensors = [k for k, v in meta.items() if k != "__metadata__" and v["dtype"] == "F32" and v["data_offsets"][1] > v["data_offsets"][0]]
        name = rng.choice(tensors)
        begin, end = meta[name]["data_offsets"]
        at = 8 + n + begin + 4 * rng.randrange((end - begin) // 4)
        value = rng.choice([math.nan, math.inf, -math.inf])
        return "non-finite", blob[:at] + struct.pack("<f", value) + blob[at + 4 :]
    out = bytearray(blob)
    at = 8 + rng.randrange(n)
    out[at] ^= 1 << rng.randrange(8)
    return "header-flip", bytes(out)


# --- running ----------------------------------------------------------------


def run_one(cli, folder, texts, timeout):
    out = folder / "out.npy"
    try:
        proc = subprocess.run([str(cli), "--quiet", "encode", "--model", str(folder), "--in", str(texts), "--out", str(out)],
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "hang", None, ""
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode < 0:
        return f"signal {-proc.returncode}", None, stderr
    embeddings = np.load(out) if proc.returncode == 0 and out.exists() else None
    return proc.returncode, embeddings, stderr


def judge(rc, embeddings, stderr, baseline, relative, mutation_class):
    if rc == "hang" or str(rc).startswith("signal"):
        return "FAIL:" + str(rc)
    if rc == 0:
        if embeddings is None or not np.isfinite(embeddings).all():
            return "FAIL:non-finite output"
        if embeddings.shape == baseline.shape and np.array_equal(embeddings, baseline):
            return "ok:same output"
        # A valid file whose meaning changed: optional keys removed or a value
        # of the right type changed. Anything else must not pass silently.
        if mutation_class in ("key:remove", "value:type", "value:null", "value:empty", "key:duplicate"):
            return "changed (valid mutant)"
        return "FAIL:exit 0 with changed output"
    if rc != 2:
        return f"FAIL:exit {rc}"
    if len(stderr.encode()) >= 1024:
        return "FAIL:message over 1 KB"
    if Path(relative).name not in stderr:
        return "FAIL:message does not name the file"
    return "ok:exit 2"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=SHARED / "fixtures" / "sbert" / "tiny-bert")
    ap.add_argument("--cli", type=Path, default=ROOT / "build" / "cli" / "embetter")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--keep-failures", type=Path, help="copy failing mutants here")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="embetter-mutants-"))
    texts = work / "texts.txt"
    texts.write_text("\n".join(TEXTS) + "\n")
    base = work / "base"
    shutil.copytree(args.model, base)
    rc, baseline, stderr = run_one(args.cli, base, texts, args.timeout)
    if rc != 0:
        sys.exit(f"the unmutated model fails: {rc} {stderr}")

    jobs = []
    for relative, count in COUNTS.items():
        if not (base / relative).exists():
            print(f"skipping {relative}: not in {args.model}")
            continue
        for i in range(max(1, round(count * args.scale))):
            jobs.append((relative, i))

    def one(job):
        relative, i = job
        rng = random.Random(f"{args.seed}:{relative}:{i}")
        folder = work / f"{relative.replace('/', '_')}-{i}"
        shutil.copytree(base, folder, ignore=shutil.ignore_patterns("out.npy"))
        target = folder / relative
        original = target.read_bytes()
        if relative.endswith(".safetensors"):
            mutation_class, mutant = mutate_safetensors(original, rng)
        else:
            mutation_class, mutant = mutate_json_text(original.decode(), rng)
        detail = MUTATION_DETAIL.pop(threading.get_ident(), "")
        target.write_bytes(mutant if isinstance(mutant, bytes) else mutant.encode())
        rc, embeddings, stderr = run_one(args.cli, folder, texts, args.timeout)
        verdict = judge(rc, embeddings, stderr, baseline, relative, mutation_class)
        if verdict.startswith("FAIL") and args.keep_failures:
            shutil.copytree(folder, args.keep_failures / folder.name, dirs_exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
        return relative, f"{mutation_class} {detail}".strip(), verdict, stderr[-300:]

    tally = collections.Counter()
    failures, changed = [], []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for relative, mutation_class, verdict, stderr in pool.map(one, jobs):
            tally[(relative, verdict)] += 1
            if verdict.startswith("FAIL"):
                failures.append((relative, mutation_class, verdict, stderr))
            elif verdict.startswith("changed"):
                changed.append(f"{relative} [{mutation_class}]")
    shutil.rmtree(work, ignore_errors=True)

    print(f"{len(jobs)} mutants of {args.model}")
    print("| file | outcome | runs |\n| --- | --- | ---: |")
    for (relative, verdict), n in sorted(tally.items()):
        print(f"| {relative} | {verdict} | {n} |")
    if changed:
        print("\nvalid mutants that changed the output (review):")
        for line in changed[:40]:
            print("  " + line)
    for relative, mutation_class, verdict, stderr in failures[:40]:
        print(f"\n{relative} [{mutation_class}] {verdict}\n  {stderr.strip()[:300]}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
