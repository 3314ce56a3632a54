#pragma once
/// @file clip_encoder.h
/// ClipEncoder: CLIP models (text and images in one embedding space) run
/// natively, both towers in C++ (no PyTorch): what sentence-transformers'
/// `SentenceTransformer("clip-ViT-B-32").encode(...)` returns, i.e.
/// transformers' CLIPModel.get_text_features / get_image_features.
///
/// Model folders (a local folder, or a hub id resolved through the Hugging
/// Face cache as hub.h describes; "clip-ViT-B-32" means
/// "sentence-transformers/clip-ViT-B-32"):
///  - sentence-transformers CLIP folders: modules.json naming a CLIPModel
///    module (the hub's layout, weights in 0_CLIPModel/) or a Transformer
///    module over a CLIP checkpoint (what sentence-transformers 6 saves),
///    optionally followed by Normalize;
///  - plain transformers CLIP folders (config.json with model_type "clip");
///  - sentence-transformers text models that embed texts into a CLIP
///    model's space (clip-ViT-B-32-multilingual-v1): run as SentenceEncoder
///    runs them, texts only (images: NotSupportedError), as the original's
///    ClipEncoder, which hands them to sentence-transformers too.
/// The checkpoint is model.safetensors, else pytorch_model.bin (torch.save's
/// zip format, read without running its pickle: docs/architecture.md, "Weight
/// files"). The tokenizer is
/// tokenizer.json, else vocab.json + merges.txt (built as transformers'
/// CLIPTokenizer builds it); the image preprocessing is
/// preprocessor_config.json (or transformers 5's processor_config.json),
/// transformers' CLIPImageProcessor (image.h, preprocess_clip).
///
/// Text: tokenised with the special tokens, truncated to max_seq_length()
/// (sentence_bert_config.json, else tokenizer_config.json's model_max_length,
/// capped by the text positions); the embedding is the final state at the
/// end-of-text token (config text_config.eos_token_id == 2, as in the hub's
/// older configs: the largest id, else the first eos_token_id). Images:
/// channels-first pixel values of image_size() × image_size() (what
/// CLIPImageProcessor outputs), or decoded images that are preprocessed here.
///
/// Every text and image is computed on its own (no padding is attended to),
/// so its embedding is bitwise the same whatever else is in the call, the
/// batch size and the thread count. Thread-safe: encode may be called from
/// several threads at once.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "embetter/image.h"
#include "embetter/matrix.h"
#include "embetter/progress.h"

namespace emb {

struct ClipEncoderOptions {
  /// Texts or images per batch (the unit of progress reports).
  int batch_size = 32;
  /// L2-normalise each embedding (sentence-transformers' normalize_embeddings=True).
  bool normalize_embeddings = false;
  /// "fp32" (default; within 1e-4 of sentence-transformers) or "int8": the
  /// four products of every transformer layer of both towers in int8, as
  /// SentenceEncoderOptions::precision (the patch embedding and projections
  /// stay float32). Anything else: InvalidArgument ("bf16": NotSupportedError).
  std::string precision = "fp32";
  /// Threads over the texts or images of a batch; 0 = emb::num_threads().
  int num_threads = 0;
  /// A progress bar on stderr ("Batches: [###...] k/n").
  bool show_progress_bar = false;
  /// Called after each batch with (items done, total); returning false stops with Interrupted.
  ProgressFn progress;
};

class ClipEncoder {
 public:
  /// A local folder or a hub id (see above). ModelLoadError / NotSupportedError
  /// naming the file and what was expected.
  static ClipEncoder load(const std::string& name_or_path, ClipEncoderOptions opts = {});

  /// n × dim() text embeddings, row i for texts[i]. InvalidArgument naming the
  /// text for invalid UTF-8.
  Matrix encode_texts(const std::vector<std::string>& texts) const;

  /// n × dim() image embeddings from pixel values: n images of 3 ×
  /// image_size() × image_size() float32, channels first, one after another
  /// (n · pixels_per_image() values; InvalidArgument otherwise, or for a
  /// value that is not finite).
  Matrix encode_pixels(std::span<const float> pixel_values, std::size_t n) const;

  /// n × dim() image embeddings of decoded images (any of image.h's four
  /// layouts), preprocessed as the model's CLIPImageProcessor does.
  /// ModelLoadError when the folder has no preprocessor_config.json /
  /// processor_config.json; InvalidArgument when an image's preprocessed size
  /// is not the model's image_size().
  Matrix encode_images(std::span<const Image> images) const;

  /// The same for image files (JPEG, PNG, WebP), decoded in C++ (ImageError
  /// naming the file when one cannot be read).
  Matrix encode_image_files(const std::vector<std::string>& paths, const ImageReadOptions& read = {}) const;

  /// The pixel values encode_images() computes for one image (3 × H × W).
  std::vector<float> preprocess(const Image& image) const;

  /// The token ids the text tower sees for one text (special tokens included,
  /// truncated to max_seq_length()).
  std::vector<std::int32_t> token_ids(std::string_view text) const;

  std::size_t dim() const;
  std::size_t max_seq_length() const;
  /// Side of the square pixel input of the vision tower (0 for a text-only model).
  std::size_t image_size() const;
  /// Floats of one image's pixel values (3 · image_size()²).
  std::size_t pixels_per_image() const;
  const ClipEncoderOptions& options() const;
  /// The folder the model was loaded from.
  const std::string& model_path() const;

  struct Impl;

 private:
  explicit ClipEncoder(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace emb
