#pragma once
// Where the parts of a CLIP model folder are (include/embetter/clip_encoder.h
// lists the layouts), and CLIP's tokenizer built from vocab.json + merges.txt
// when a folder has no tokenizer.json (the hub's clip-ViT-B-32 has none).
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "embetter/tokenizer.h"

namespace emb::encoders {

struct ClipFolder {
  /// The folder of the CLIP checkpoint: config.json, the weights, the
  /// tokenizer and preprocessor files (a sentence-transformers module folder
  /// such as 0_CLIPModel, or the folder itself).
  std::filesystem::path model_folder;
  std::filesystem::path weights;   ///< model.safetensors, else pytorch_model.bin
  std::filesystem::path config;    ///< config.json
  /// A Normalize module follows the CLIP module.
  bool normalize = false;
  /// sentence_bert_config.json's max_seq_length, else tokenizer_config.json's
  /// model_max_length; 0 when neither states one.
  std::size_t configured_max_length = 0;
  /// preprocessor_config.json, else processor_config.json (transformers 5); none: texts only.
  std::optional<std::filesystem::path> preprocessor;
};

/// Reads modules.json (a CLIPModel module, or a Transformer module over a
/// CLIP config, then at most a Normalize) or takes a plain transformers
/// folder. ModelLoadError / NotSupportedError naming the file otherwise.
ClipFolder read_clip_folder(const std::filesystem::path& folder);

/// False when the folder holds a text model that is not CLIP (its
/// Transformer module's, or its own, config.json names another model_type):
/// sentence-transformers' multilingual CLIP text encoders such as
/// clip-ViT-B-32-multilingual-v1, which embed texts into a CLIP model's image
/// space. True otherwise (read_clip_folder then reports what is wrong).
bool is_clip_folder(const std::filesystem::path& folder);

/// tokenizer.json, else the tokenizer transformers' CLIPTokenizer builds
/// from vocab.json and merges.txt (NFC, whitespace runs to one space,
/// lowercase; CLIP's split regex and byte-level; BPE with "</w>"; <|startoftext|>
/// … <|endoftext|>), its special tokens from tokenizer_config.json or
/// special_tokens_map.json.
Tokenizer load_clip_tokenizer(const std::filesystem::path& model_folder);

/// The tokenizer.json text load_clip_tokenizer builds from the two files.
std::string clip_tokenizer_json(const std::filesystem::path& model_folder);

}  // namespace emb::encoders
