#include "finetune_body.h"

#include <cmath>
#include <filesystem>

#include "embetter/body_finetuner.h"
#include "embetter/error.h"
#include "inputs.h"
#include "io/text_reader.h"

namespace emb::cli {
namespace {

namespace fs = std::filesystem;

// Every text of a .txt (one per line) or .jsonl (--text-field) file.
std::vector<std::string> read_texts(const BodyFinetuneOptions& o) {
  const fs::path path(o.texts);
  std::error_code ec;
  EMB_CHECK(fs::is_regular_file(path, ec), describe("--texts", path), ": no such file; expected a .txt or .jsonl file");
  EMB_CHECK(path.extension() != ".jsonl" || !o.text_field.empty(), describe("--texts", path),
            ": a .jsonl file needs --text-field (the field holding each text)");
  io::TextReader reader(path, path.extension() == ".jsonl" ? o.text_field : "");
  std::vector<std::string> texts;
  JsonlColumns chunk;
  try {
    while (reader.read(4096, chunk)) texts.insert(texts.end(), chunk.texts.begin(), chunk.texts.end());
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(std::string("--texts: ") + e.what());
  }
  EMB_CHECK(!texts.empty(), describe("--texts", path), ": holds no texts");
  for (std::size_t i = 0; i < texts.size(); ++i)
    EMB_CHECK(!texts[i].empty(), describe("--texts", path), ": text ", i + 1, " is empty; every labelled text needs words");
  return texts;
}

}  // namespace

void run_body_finetune(const BodyFinetuneOptions& o, const GlobalOptions& global) {
  const Console console(global);
  EMB_CHECK(!o.model.empty(), "--body needs --model (a sentence-transformers folder or hub id)");
  EMB_CHECK(!o.texts.empty(), "--body needs --texts (the labelled texts, .txt or .jsonl)");
  EMB_CHECK(!o.out.empty(), "--body needs --out (the folder to write the finetuned model to)");
  EMB_CHECK(o.warmup_proportion >= 0 && o.warmup_proportion <= 1, "--warmup-proportion must be in [0, 1], got ",
            o.warmup_proportion);
  const auto texts = read_texts(o);
  const auto labels = load_labels(o.labels, o.label_field, "--labels");
  EMB_CHECK(texts.size() == labels.size(), describe("--texts", o.texts), " has ", texts.size(), " texts but ",
            describe("--labels", o.labels), " has ", labels.size(), " labels; expected one label per text");
  check_two_classes(labels, describe("--labels", o.labels));

  RandomState seed;
  if (o.seed >= 0) seed = static_cast<std::uint64_t>(o.seed);
  const auto pairs = label_pairs(labels, o.iterations, seed);
  std::vector<std::string> first, second;
  std::vector<float> similarity;
  for (const auto& p : pairs) {
    first.push_back(texts[p.first]);
    second.push_back(texts[p.second]);
    similarity.push_back(p.label);
  }
  console.step("loading " + o.model);
  auto finetuner = BodyFinetuner::load(o.model, o.max_seq_length);
  BodyTrainingOptions t;
  t.loss = parse_pair_loss(o.loss, "--loss");
  t.batch_size = o.batch_size;
  t.epochs = o.epochs;
  t.learning_rate = o.learning_rate;
  const auto steps = static_cast<double>((pairs.size() + static_cast<std::size_t>(o.batch_size) - 1) /
                                         static_cast<std::size_t>(o.batch_size)) * o.epochs;
  t.warmup_steps = static_cast<int>(std::ceil(o.warmup_proportion * steps));
  if (seed) t.random_state = *seed + 1;
  console.step("finetuning the transformer on " + std::to_string(pairs.size()) + " pairs from " +
               std::to_string(texts.size()) + " labelled texts (" + std::to_string(o.epochs) + " epoch(s), " +
               std::to_string(static_cast<long long>(steps)) + " steps)");
  ProgressBar bar(console, "training");
  t.progress = bar.callback();
  const auto losses = finetuner.fit(first, second, similarity, t);
  bar.finish();
  finetuner.save(o.out);
  char last[32];
  std::snprintf(last, sizeof last, "%.4f", losses.empty() ? 0.0 : static_cast<double>(losses.back()));
  console.step(std::string("last loss ") + last + "; wrote the finetuned model to " + o.out);
}

}  // namespace emb::cli
