#include "encoders.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <optional>

#include "embetter/error.h"
#include "embetter/hub.h"
#include "embetter/lite_text_encoder.h"
#include "embetter/sentence_encoder.h"

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

/// A pretrained sentence-transformers model: nothing is fitted on the demo's
/// texts, so train and test are encoded the same way, one after the other.
EncodedSplit encode_sentence(const std::string& argument, const TextSplit& texts, const EncoderContext& context) {
  EMB_CHECK(!argument.empty(), "--encoder sentence: expected a model folder or hub id, e.g. sentence:all-MiniLM-L6-v2");
  const std::string spec = "--encoder sentence:" + argument;
  ProgressBar bar(context.console, "encoding");
  SentenceEncoderOptions options;
  options.progress = bar.callback();
  options.precision = context.precision;
  const SentenceEncoder encoder = [&] {
    try {
      return SentenceEncoder::load(argument, options);
    } catch (const ModelLoadError& e) {
      throw InvalidArgument(spec + ": " + e.what());
    } catch (const NotSupportedError& e) {
      throw InvalidArgument(spec + ": " + e.what());
    }
  }();
  context.console.step("encoding " + std::to_string(texts.train.size() + texts.test.size()) + " texts with " +
                       encoder.model_path());
  EncodedSplit out{encoder.encode(texts.train), encoder.encode(texts.test), ""};
  bar.finish();
  out.description = "sentence:" + argument + ": the pretrained sentence-transformers model at " +
                    encoder.model_path() + " (" + std::to_string(encoder.dim()) +
                    " dimensions, texts cut at " + std::to_string(encoder.max_seq_length()) +
                    " tokens, " + context.precision + " products), not fitted on these texts";
  return out;
}

/// Sets an environment variable for one scope and restores the old value.
/// The CLI is single-threaded while it resolves the default encoder.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

DefaultEncoder default_encoder() {
  // Only a model already on this machine (HF cache or the packaged copy) is
  // used by default: a demo run must never start a download nobody asked for.
  try {
    const ScopedEnv offline("HF_HUB_OFFLINE", "1");
    resolve_model(kDefaultSentenceModel);
    return {std::string("sentence:") + kDefaultSentenceModel, ""};
  } catch (const Error&) {
    return {"lite", std::string(kDefaultSentenceModel) + " not found; using the lite encoder"};
  }
}

const std::vector<EncoderEntry>& encoder_registry() {
  static const std::vector<EncoderEntry> registry = {
      {"lite", "lite[:DIM]", "TF-IDF + TruncatedSVD learned from the texts themselves (no download); DIM defaults to 300",
       encode_lite},
      {"sentence", "sentence:MODEL",
       "a sentence-transformers model folder or hub id (e.g. sentence:all-MiniLM-L6-v2), from the Hugging Face cache or "
       "downloaded",
       encode_sentence},
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
  std::string help = std::string("Text encoder (default: sentence:") + kDefaultSentenceModel +
                     " when it is on this machine, else lite):";
  for (const EncoderEntry& entry : encoder_registry()) help += "\n  " + entry.usage + ": " + entry.help;
  return help;
}

}  // namespace emb::cli
