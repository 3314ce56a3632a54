"""Reference files for tests/unit/io, written by the libraries our users run.

argv[1]: output folder. Values follow simple formulas that the C++ tests
recompute; where conversion is involved, the expected float32 values are
written next to the file as .npy (by numpy itself).
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import save_file as save_torch

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)


def ramp(*shape, dtype=np.float32):
    """0, 0.25, 0.5, ... minus 1: exactly representable in every float type used."""
    n = int(np.prod(shape))
    return (np.arange(n, dtype=np.float64) * 0.25 - 1.0).reshape(shape).astype(dtype)


# Mixed dtypes as safetensors.numpy writes them (F16 sorted before F32 and so on).
f16 = np.array([0.0, -0.0, 1.0, -2.5, 65504.0, 2.0**-24, 3 * 2.0**-24, 2.0**-14, 1023 * 2.0**-24,
                np.inf, -np.inf, np.nan, 0.1], dtype=np.float16)
f64 = np.array([[1.0 / 3.0, -1e-40], [1e30, 2.5]], dtype=np.float64)
mixed = {
    "f32": ramp(3, 4),
    "vec": ramp(5),
    "f16": f16,
    "f64": f64,
    "i64": np.arange(6, dtype=np.int64).reshape(2, 3),
    "u8": np.arange(4, dtype=np.uint8),
    "empty": np.zeros((0, 3), dtype=np.float32),
}
save_numpy(mixed, str(out / "numpy_mixed.safetensors"), metadata={"format": "np", "note": "ünïcode"})
(out / "f16_as_f32.bin").write_bytes(f16.astype("<f4").tobytes())
(out / "f64_as_f32.bin").write_bytes(f64.astype("<f4").tobytes())

# Every float16 bit pattern, and numpy's float32 for each: conversion must be exact.
all_f16 = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
save_numpy({"h": all_f16}, str(out / "f16_all.safetensors"))
(out / "f16_all_as_f32.bin").write_bytes(all_f16.astype("<f4").tobytes())

bf16 = torch.tensor([[1.0, -2.0, 3.140625], [1e-39, float("inf"), 0.1]], dtype=torch.bfloat16)
save_torch({"bf16": bf16}, str(out / "torch_bf16.safetensors"))
(out / "bf16_as_f32.bin").write_bytes(bf16.float().numpy().astype("<f4").tobytes())

# What our SafetensorsWriter must reproduce byte for byte (one metadata key:
# the Rust side orders several keys by hash, so their order varies run to run).
save_numpy({"b": ramp(2, 3), "a": ramp(2), "z": np.zeros((0, 2), dtype=np.float32)},
           str(out / "writer_reference.safetensors"), metadata={"format": "embetter"})

# Shape and float64 sum of every tensor of the shared tiny-bert fixture.
fixture = Path(sys.argv[2]) / "fixtures/sbert/tiny-bert/model.safetensors"
if fixture.exists():
    from safetensors import safe_open
    sums = {}
    with safe_open(str(fixture), "np") as f:
        for name in f.keys():
            t = f.get_tensor(name)
            sums[name] = {"shape": list(t.shape), "sum": float(t.astype(np.float64).sum())}
    (out / "tiny_bert_sums.json").write_text(json.dumps(sums))

# .npy files: supported ones and every kind we must refuse.
np.save(out / "f4_2d.npy", ramp(3, 4))
np.save(out / "f8_1d.npy", ramp(5, dtype=np.float64))
np.save(out / "f4_empty.npy", np.zeros((0, 3), dtype=np.float32))
for version in [(2, 0), (3, 0)]:
    with open(out / f"f4_v{version[0]}.npy", "wb") as f:
        np.lib.format.write_array(f, ramp(2, 3), version=version)
np.save(out / "i8.npy", np.arange(6, dtype=np.int64))
np.save(out / "f2.npy", ramp(2, 2, dtype=np.float16))
np.save(out / "be_f4.npy", ramp(2, 2).astype(">f4"))
np.save(out / "fortran.npy", np.asfortranarray(ramp(3, 4)))
np.save(out / "f4_3d.npy", ramp(2, 3, 4))
np.save(out / "f4_0d.npy", np.float32(1.5))
print("io oracle files written to", out)
