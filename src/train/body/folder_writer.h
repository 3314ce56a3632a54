#pragma once
// Saving a finetuned body: a complete sentence-transformers folder in the
// format we read, so that SentenceEncoder, sentence-transformers and the
// original embetter all load it.
//
// The folder is the source folder with the trained values put back into its
// safetensors files. Every other byte stays as it was: untouched tensors
// (pooler weights, token-type rows past 0, int64 position_ids buffers),
// dtypes, header and `__metadata__`. Names, dtypes and shapes do not change,
// so each rewritten file has the same header and layout as the original; only
// the trained elements differ.
#include <filesystem>
#include <span>

#include "train/body/parameter.h"

namespace emb::train::body {

/// Writes the sentence-transformers folder `source` with `params`' values to `target`.
///
/// - Every file of `source` is copied as a plain file, following symbolic
///   links (a Hugging Face cache snapshot becomes an ordinary folder), empty
///   folders included. Left out: `.git` and `.cache` at the top (repository
///   and download bookkeeping, not model files) and, beside each rewritten
///   safetensors file, the same weights in other formats (pytorch_model*.bin,
///   tf_model*.h5, flax_model*.msgpack, rust_model.ot, onnx/, openvino/):
///   they hold the weights before finetuning, and a loader that picks one of
///   them would silently run the old model.
/// - Each safetensors file named by a ref is copied with the refs' values
///   overlaid at their offsets: F32 tensors get the floats as they are, F16
///   and BF16 tensors the floats rounded to nearest, ties to even.
/// - Atomic: the folder is built in a temporary sibling of `target`
///   (`<target>.tmp-<pid>-XXXXXX`), its files and folders fsynced, then renamed
///   into place. An existing model folder at `target` (one with modules.json
///   or config.json) is replaced by an atomic exchange where the file system
///   has one, else renamed aside (`<target>.old-<pid>-XXXXXX`) until the new
///   folder is in, then removed. An empty folder is replaced too.
/// - `target` may be `source` (saving over the folder the model came from):
///   everything is read before the swap. A symbolic link at `target` is
///   followed: the folder it points to is replaced and the link kept.
///
/// Refused before anything is written (emb::InvalidArgument naming the
/// file, the tensor and what was expected): a ref whose tensor does not
/// exist, has another shape than the ref's, has a dtype other than F32, F16
/// or BF16, or has fewer elements than offset + count; two refs that overlap;
/// non-finite values, or values beyond F16's or BF16's range; a `target` that
/// is a file or a non-empty folder that is not a model folder (never
/// replaced: it may hold the user's data); `target` inside `source` or the
/// reverse. A source that cannot be read is a ModelLoadError; a write that
/// fails (disk full) an emb::Error. On any error `target` is untouched and
/// the temporary folder removed.
void write_sentence_folder(const std::filesystem::path& source, std::span<const ParameterRef> params,
                           const std::filesystem::path& target);

}  // namespace emb::train::body
