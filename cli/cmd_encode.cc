// embetter encode: texts in, a float32 .npy of sentence-transformers
// embeddings out (one row per text, input order).
#include <memory>

#include "commands.h"
#include "embetter/error.h"
#include "embetter/jsonl.h"
#include "embetter/npy.h"
#include "embetter/sentence_encoder.h"
#include "inputs.h"

namespace emb::cli {
namespace {

namespace fs = std::filesystem;

struct EncodeOptions {
  std::string model, in, text_field = "text", out;
  int batch_size = 32;
  bool normalize = false;
};

/// .jsonl: the value at --text-field of each line; anything else: one text per line.
std::vector<std::string> read_texts(const EncodeOptions& o) {
  const fs::path path(o.in);
  std::error_code ec;
  EMB_CHECK(fs::exists(path, ec), describe("--in", path), ": no such file");
  EMB_CHECK(!fs::is_directory(path, ec), describe("--in", path), ": is a folder; expected a .txt or .jsonl file");
  std::vector<std::string> texts;
  try {
    texts = path.extension() == ".jsonl" ? read_jsonl(path, o.text_field).texts : read_lines(path);
  } catch (const Error& e) {
    throw InvalidArgument(std::string("--in: ") + e.what());
  }
  EMB_CHECK(!texts.empty(), describe("--in", path), ": holds no texts");
  return texts;
}

void run_encode(const EncodeOptions& o, const GlobalOptions& global) {
  const Console console(global);
  // Every input is checked before the model is loaded (seconds) or anything encoded.
  check_output_path(o.out, "--out", {".npy"});
  const std::vector<std::string> texts = read_texts(o);

  SentenceEncoderOptions options;
  options.batch_size = o.batch_size;
  options.normalize_embeddings = o.normalize;
  ProgressBar bar(console, "encoding");
  options.progress = bar.callback();
  console.step("loading " + o.model);
  const SentenceEncoder encoder = [&] {
    try {
      return SentenceEncoder::load(o.model, options);
    } catch (const ModelLoadError& e) {
      throw InvalidArgument("--model " + o.model + ": " + e.what());
    } catch (const NotSupportedError& e) {
      throw InvalidArgument("--model " + o.model + ": " + e.what());
    }
  }();
  console.step("encoding " + std::to_string(texts.size()) + " texts with " + encoder.model_path());
  const Matrix embeddings = encoder.encode(texts);
  bar.finish();
  write_npy(o.out, embeddings);
  console.step("wrote " + o.out + " (" + std::to_string(embeddings.rows()) + " x " +
               std::to_string(embeddings.cols()) + " float32)");
}

}  // namespace

Command add_encode_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<EncodeOptions>();
  CLI::App* cmd = app.add_subcommand("encode", "Encode texts with a sentence-transformers model into a .npy file");
  cmd->add_option("--model", o->model,
                  "Model folder or hub id (e.g. all-MiniLM-L6-v2), found in the Hugging Face cache or downloaded")
      ->required();
  cmd->add_option("--in", o->in, "Texts: .txt (one per line) or .jsonl (with --text-field)")->required();
  cmd->add_option("--text-field", o->text_field, "Field of the .jsonl file holding the text")->capture_default_str();
  cmd->add_option("--out", o->out, "The embeddings to write: .npy (float32, one row per text)")->required();
  cmd->add_option("--batch-size", o->batch_size, "Texts per batch")->capture_default_str()->check(CLI::Range(1, 1 << 20));
  cmd->add_flag("--normalize", o->normalize, "L2-normalise each embedding");
  return [o, &global] { run_encode(*o, global); };
}

}  // namespace emb::cli
