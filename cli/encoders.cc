#include "encoders.h"

#include <algorithm>
#include <charconv>

#include "embetter/error.h"
#include "embetter/lite_text_encoder.h"

namespace emb::cli {
namespace {

/// embetter's learn_lite_text_embeddings recipe (TF-IDF then TruncatedSVD).
/// Fitted on the train and test texts together, without their labels: the
/// recipe learns from an unlabelled stream, and in the seed's experiment that
/// stream is the text that is later charted. No label ever reaches the encoder,
/// so the test accuracy stays an honest measure of the tuners.
EncodedSplit encode_lite(const std::string& argument, const TextSplit& texts, const EncoderContext& context) {
  int dim = 300;
  if (!argument.empty()) {
    const auto [end, ec] = std::from_chars(argument.data(), argument.data() + argument.size(), dim);
    EMB_CHECK(ec == std::errc() && end == argument.data() + argument.size() && dim > 0,
              "--encoder lite:", argument, ": expected a positive number of dimensions, e.g. lite:300");
  }
  std::vector<std::string> corpus = texts.train;
  corpus.insert(corpus.end(), texts.test.begin(), texts.test.end());
  // TruncatedSVD gives at most one component per text; small slices
  // (e.g. --train-size 40 --test-size 100) get fewer dimensions.
  const int used_dim = std::min<int>(dim, static_cast<int>(corpus.size()));
  LiteTextEncoderParams params;
  params.dim = used_dim;
  params.random_state = context.seed;
  context.console.step("fitting the lite encoder (TF-IDF + TruncatedSVD, " + std::to_string(used_dim) + " dims) on " +
                       std::to_string(corpus.size()) + " texts");
  LiteTextEncoder encoder(params);
  encoder.fit(corpus);
  EncodedSplit out{encoder.transform(texts.train), encoder.transform(texts.test), ""};
  out.description = "lite: TF-IDF (scikit-learn defaults) + TruncatedSVD to " + std::to_string(used_dim) +
                    " dimensions, fitted on the " + std::to_string(corpus.size()) +
                    " train and test texts without their labels (embetter's learn_lite_text_embeddings recipe)";
  return out;
}

}  // namespace

const std::vector<EncoderEntry>& encoder_registry() {
  static const std::vector<EncoderEntry> registry = {
      {"lite", "lite[:DIM]", "TF-IDF + TruncatedSVD learned from the texts themselves (no download); DIM defaults to 300",
       encode_lite},
  };
  return registry;
}

EncodedSplit encode_texts(const std::string& spec, const TextSplit& texts, const EncoderContext& context) {
  const std::size_t colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  const std::string argument = colon == std::string::npos ? "" : spec.substr(colon + 1);
  std::string known;
  for (const EncoderEntry& entry : encoder_registry()) {
    if (entry.name == name) return entry.encode(argument, texts, context);
    known += (known.empty() ? "" : ", ") + entry.usage;
  }
  throw InvalidArgument("--encoder " + spec + ": unknown encoder '" + name + "'; expected one of: " + known);
}

std::string encoder_help() {
  std::string help = "Text encoder:";
  for (const EncoderEntry& entry : encoder_registry()) help += "\n  " + entry.usage + ": " + entry.help;
  return help;
}

}  // namespace emb::cli
