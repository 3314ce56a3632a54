#pragma once
// PyTorch checkpoints written by torch.save (PyTorch >= 1.6's zip format:
// <name>/data.pkl, <name>/data/<key> storage files, <name>/byteorder), read
// without executing anything: the equivalent of
// torch.load(weights_only=True) for a state dict. The pickle goes through a
// restricted unpickler that knows only the opcodes and the globals a state
// dict needs:
//   collections.OrderedDict, torch._utils._rebuild_tensor_v2,
//   torch._utils._rebuild_parameter, and the storage classes
//   torch.{Double,Float,Half,BFloat16,Long,Int,Short,Char,Byte,Bool}Storage
//   named in persistent ids ('storage', <class>, key, location, numel).
// Anything else (another global, another opcode, a truncated stream, a storage
// file of the wrong size, a view reaching past its storage, big-endian data)
// is a ModelLoadError naming the file and what was found.
//
// The tensors are handed out as an in-memory io::SafetensorsFile (each tensor
// copied out of its storage, row-major), so every reader of model weights
// takes either format unchanged.
#include <filesystem>
#include <string>

#include "io/safetensors.h"

namespace emb::io {

/// Reads the state dict in `path` (a torch.save zip, e.g. pytorch_model.bin).
/// Errors name `path`.
SafetensorsFile read_torch_checkpoint(const std::filesystem::path& path);

/// The same from the bytes of such a file; `name` stands for it in errors.
SafetensorsFile read_torch_checkpoint_bytes(std::string bytes,
                                            const std::filesystem::path& name = "<torch checkpoint bytes>");

/// model.safetensors → SafetensorsFile::open; a torch.save file (by name:
/// *.bin, *.pt, *.pth) → read_torch_checkpoint.
SafetensorsFile open_weights_file(const std::filesystem::path& path);

}  // namespace emb::io
