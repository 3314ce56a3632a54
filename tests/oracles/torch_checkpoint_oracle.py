"""Reference files for tests/unit/io/torch_checkpoint_test.cc, written by torch.save itself.

argv[1]: output folder; argv[2]: the shared folder (fixtures/sbert).

- mixed.bin: a state dict of every dtype a checkpoint carries, views sharing
  one storage at offsets, transposed and strided views, a Parameter, a 0-d and
  an empty tensor; mixed.safetensors holds the same tensors (contiguous copies)
  as safetensors.torch writes them: the C++ reader must give identical bytes.
- linear.bin: nn.Linear's state_dict() (an OrderedDict with _metadata, set by BUILD).
- pt/<fixture>/: each tiny sentence-transformers fixture with its weights in
  pytorch_model.bin only (model.safetensors deleted).
- hostile/*.bin: archives the restricted unpickler must refuse, with
  hostile/expected.json mapping each to a fragment of its error message.
"""
import io
import json

import shutil
import sys
import zipfile
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

out = Path(sys.argv[1])
shared = Path(sys.argv[2])
if out.exists():
    shutil.rmtree(out)
out.mkdir(parents=True)


def ramp(*shape, dtype=torch.float32):
    n = 1
    for s in shape:
        n *= s
    return (torch.arange(n, dtype=torch.float64) * 0.25 - 1.0).reshape(shape).to(dtype)


base = ramp(4, 6)
mixed = {
    "f32": ramp(3, 4),
    "f16": torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 2.0**-24, 0.1], dtype=torch.float16),
    "bf16": torch.tensor([[1.0, -2.0, 3.140625], [1e-39, 0.5, 0.1]], dtype=torch.bfloat16),
    "f64": torch.tensor([[1.0 / 3.0, -1e-40], [1e30, 2.5]], dtype=torch.float64),
    "position_ids": torch.arange(7, dtype=torch.int64).unsqueeze(0),
    "i32": torch.tensor([-1, 2, 2**31 - 1], dtype=torch.int32),
    "u8": torch.arange(5, dtype=torch.uint8),
    "mask": torch.tensor([True, False, True]),
    "base": base,
    "row": base[1],                 # storage offset 6
    "block": base[2:],              # offset 12
    "transposed": base.t(),         # strides (1, 6)
    "every_other": base[:, ::2],    # strides (6, 2)
    "scalar": torch.tensor(3.5),
    "empty": torch.zeros(0, 3),
    "param": torch.nn.Parameter(ramp(2, 2), requires_grad=False),
}
torch.save(mixed, out / "mixed.bin")
save_file({k: v.detach().contiguous().clone() for k, v in mixed.items()}, str(out / "mixed.safetensors"))

linear = torch.nn.Linear(3, 2)
with torch.no_grad():
    linear.weight.copy_(ramp(2, 3))
    linear.bias.copy_(ramp(2))
torch.save(linear.state_dict(), out / "linear.bin")

# The tiny fixtures with pytorch_model.bin in place of every model.safetensors.
for fixture in sorted((shared / "fixtures/sbert").glob("tiny-*")):
    if not (fixture / "model.safetensors").exists():
        continue
    dst = out / "pt" / fixture.name
    shutil.copytree(fixture, dst, symlinks=False)
    for st in sorted(dst.rglob("model.safetensors")):
        torch.save(load_file(str(st)), st.parent / "pytorch_model.bin")
        st.unlink()

# ---- hostile archives --------------------------------------------------------
hostile = out / "hostile"
hostile.mkdir()
expected = {}
good = zipfile.ZipFile(out / "linear.bin")
good_entries = {i.filename: good.read(i.filename) for i in good.infolist()}
prefix = "linear/"


def archive(name, replace=None, drop=(), fragment=""):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for entry, data in good_entries.items():
            rel = entry[len(prefix):]
            if rel in drop:
                continue
            z.writestr(entry, (replace or {}).get(rel, data))
    (hostile / name).write_bytes(buf.getvalue())
    expected[name] = fragment


def pickle_ops(*parts):
    return b"\x80\x02" + b"".join(parts) + b"."


archive("os_system.bin", {"data.pkl": pickle_ops(b"cos\nsystem\n", b"X\x04\x00\x00\x00echo", b"\x85R")},
        fragment="GLOBAL 'os.system' is not allowed")
archive("builtins_eval.bin", {"data.pkl": pickle_ops(b"cbuiltins\neval\n", b"X\x01\x00\x00\x001", b"\x85R")},
        fragment="GLOBAL 'builtins.eval' is not allowed")
archive("reduce_storage.bin", {"data.pkl": pickle_ops(b"ctorch\nFloatStorage\n", b")R")},
        fragment="REDUCE of 'torch.FloatStorage' is not allowed")
archive("bad_opcode.bin", {"data.pkl": b"\x80\x02" + b"I1\n" + b"."}, fragment="opcode 0x49 is not one")
archive("deep_lists.bin", {"data.pkl": pickle_ops(b"]" * 5000, b"a" * 4999)},
        fragment="containers nested deeper than")
archive("deep_marks.bin", {"data.pkl": pickle_ops(b"(" * 5000)}, fragment="MARKs nested deeper than")
archive("truncated_pickle.bin", {"data.pkl": good_entries[prefix + "data.pkl"][:100]}, fragment="truncated")
archive("short_storage.bin", {"data/0": good_entries[prefix + "data/0"][:-4]},
        fragment="holds 20 bytes; the pickle's storage needs 24")
archive("missing_storage.bin", drop=("data/1",), fragment="the archive has no 'linear/data/1'")
archive("big_endian.bin", {"byteorder": b"big"}, fragment="only little-endian")
archive("not_a_dict.bin", {"data.pkl": pickle_ops(b"]")}, fragment="expected a state dict")
archive("memo_miss.bin", {"data.pkl": pickle_ops(b"h\x07")}, fragment="memo entry 7 was never stored")
# A view reaching past its storage: size [2, 3] at offset 3 of a 6-element storage.
past_end = (b"\x80\x02ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00w"
            b"ctorch._utils\n_rebuild_tensor_v2\n"
            b"((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x06tQ"
            b"K\x03K\x02K\x03\x86K\x03K\x01\x86\x89ccollections\nOrderedDict\n)Rt"
            b"Ru.")
archive("view_past_end.bin", {"data.pkl": past_end}, fragment="reaches element 8 of storage '0', which holds 6")
full = (out / "linear.bin").read_bytes()
(hostile / "truncated_archive.bin").write_bytes(full[: len(full) // 2])
expected["truncated_archive.bin"] = "a truncated or damaged zip archive"
torch.save(mixed, hostile / "legacy.bin", _use_new_zipfile_serialization=False)
expected["legacy.bin"] = "legacy format"
(hostile / "expected.json").write_text(json.dumps(expected, indent=1))
print(f"torch_checkpoint oracle: wrote {out}")
