#pragma once
// The text encoders `embetter demo --encoder` can use, as a registry of
// named entries. A spec is NAME or NAME:ARGUMENT ("lite", "lite:100",
// "sentence:all-MiniLM-L6-v2"). Adding an encoder is one function with the
// EncodeFn signature plus one line in the table in encoders.cc.
#include <functional>
#include <string>
#include <vector>

#include "console.h"
#include "embetter/matrix.h"
#include "embetter/random.h"

namespace emb::cli {

/// The demo's texts, split before encoding so that an encoder which learns
/// from text can see what it is allowed to see.
struct TextSplit {
  const std::vector<std::string>& train;
  const std::vector<std::string>& test;
};

struct EncodedSplit {
  Matrix train, test;
  /// One sentence for the report: what encoded the texts and how it was fitted.
  std::string description;
};

struct EncoderContext {
  const Console& console;
  RandomState seed;
  /// SentenceEncoderOptions::precision of the sentence encoders ("fp32", "int8").
  std::string precision = "fp32";
};

/// Encodes both parts; `argument` is what followed "NAME:" (may be empty).
using EncodeFn = std::function<EncodedSplit(const std::string& argument, const TextSplit& texts,
                                            const EncoderContext& context)>;

struct EncoderEntry {
  std::string name;
  std::string usage;  // for --help, e.g. "lite[:DIM]"
  std::string help;
  EncodeFn encode;
};

/// The demo's default model, used only when it is already on this machine.
inline constexpr const char* kDefaultSentenceModel = "all-MiniLM-L6-v2";

struct DefaultEncoder {
  std::string spec;
  /// Empty, or why the preferred encoder could not be used (for stderr and the report).
  std::string note;
};

/// sentence:all-MiniLM-L6-v2 when it resolves without the network, else lite with a note.
DefaultEncoder default_encoder();

/// Every registered encoder, in the order --help lists them.
const std::vector<EncoderEntry>& encoder_registry();

/// Looks up the spec's name; InvalidArgument naming --encoder and the known names if unknown.
EncodedSplit encode_texts(const std::string& spec, const TextSplit& texts, const EncoderContext& context);

/// The --encoder help text listing the registry.
std::string encoder_help();

}  // namespace emb::cli
