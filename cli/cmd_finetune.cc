// embetter finetune: trains a FeedForwardTuner on embeddings and labels,
// applies it to other embeddings and saves it. Every input is read and
// checked, and the tuner trained, before anything is written. With --body it
// finetunes the transformer itself instead (finetune_body.h).
#include <memory>
#include <optional>

#include "commands.h"
#include "embetter/error.h"
#include "embetter/feed_forward_tuner.h"
#include "embetter/npy.h"
#include "finetune_body.h"
#include "inputs.h"
#include "io/atomic_file.h"
#include "io/npy_writer.h"
#include "validators.h"

namespace emb::cli {
namespace {

struct FinetuneOptions {
  std::string train, labels, label_field, row_field, apply, out, save;
  int hidden_dim = 50;
  int epochs = 500;
  float learning_rate = 0.01f;
  int batch_size = 32;
  std::int64_t seed = -1;
  std::string objective = objective_name(FeedForwardTunerParams{}.objective);
  bool body = false;
  BodyFinetuneOptions body_options;
};

void run_finetune(const FinetuneOptions& o, const GlobalOptions& global) {
  const Console console(global);
  EMB_CHECK(!o.train.empty(), "--train is required (the training embeddings, .npy), unless --body finetunes a model");
  EMB_CHECK(o.apply.empty() == o.out.empty(), o.apply.empty() ? "--out needs --apply (the embeddings to transform)"
                                                              : "--apply needs --out (where to write the result)");
  EMB_CHECK(!o.out.empty() || !o.save.empty(), "nothing to write: give --apply Z.npy --out Z_tuned.npy and/or --save tuner.safetensors");
  if (!o.out.empty()) check_output_path(o.out, "--out", {".npy"});
  if (!o.save.empty()) check_output_path(o.save, "--save", {".safetensors"});

  Matrix X = load_embeddings(o.train, "--train");
  std::vector<std::string> y;
  if (o.row_field.empty()) {
    y = load_labels(o.labels, o.label_field, "--labels");
    check_rows_match(X, describe("--train", o.train), y, describe("--labels", o.labels));
  } else {
    // The labels name their rows (the explorer page's download): train on those rows only.
    SelectedRows picked = load_row_labels(X, describe("--train", o.train), o.labels, o.label_field, o.row_field, "--labels");
    X = std::move(picked.X);
    y = std::move(picked.labels);
    console.step("training on the " + std::to_string(y.size()) + " labelled rows of " + o.labels);
  }
  check_two_classes(y, describe("--labels", o.labels));
  Matrix Z;
  if (!o.apply.empty()) {
    Z = load_embeddings(o.apply, "--apply");
    EMB_CHECK(Z.cols() == X.cols(), describe("--apply", o.apply), " has ", Z.cols(), " columns but ",
              describe("--train", o.train), " has ", X.cols(), "; expected the same embedding size");
  }

  FeedForwardTunerParams params;
  params.hidden_dim = o.hidden_dim;
  params.n_epochs = o.epochs;
  params.learning_rate = o.learning_rate;
  params.batch_size = o.batch_size;
  if (o.seed >= 0) params.random_state = static_cast<std::uint64_t>(o.seed);
  params.objective = parse_feed_forward_objective(o.objective, "--objective");
  console.step("training FeedForwardTuner(hidden_dim=" + std::to_string(o.hidden_dim) + ", n_epochs=" +
               std::to_string(o.epochs) + ") on " + std::to_string(X.rows()) + " x " + std::to_string(X.cols()));
  // The bar outlives the tuner, which keeps the callback in its params.
  ProgressBar bar(console, "training");
  params.progress = bar.callback();
  FeedForwardTuner tuner(params);
  tuner.fit(X, y);
  bar.finish();
  Matrix tuned;
  if (!o.apply.empty()) tuned = tuner.transform(Z);

  // Both outputs are on disk before either replaces its target, so that the
  // two renames follow each other within microseconds (a kill -9 used to
  // find z.npy written and the tuner not yet serialized). The tuner file is
  // renamed last: it is the commit point, and a run killed in between leaves
  // the new embeddings beside the old tuner file (or none), never a new tuner
  // without its embeddings.
  std::optional<io::NpyWriter> out_file;
  std::optional<io::AtomicFile> tuner_file;
  if (!o.out.empty()) {
    out_file.emplace(o.out, tuned.cols());
    out_file->append(tuned);
    out_file->prepare();
  }
  if (!o.save.empty()) {
    const std::string bytes = tuner.to_bytes();
    tuner_file.emplace(o.save);
    tuner_file->stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    tuner_file->prepare();
  }
  if (out_file) out_file->commit();
  if (tuner_file) tuner_file->commit();
  if (out_file)
    console.step("wrote " + o.out + " (" + std::to_string(tuned.rows()) + " x " + std::to_string(tuned.cols()) + ")");
  if (tuner_file) console.step("saved the tuner to " + o.save);
}

}  // namespace

Command add_finetune_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<FinetuneOptions>();
  CLI::App* cmd = app.add_subcommand(
      "finetune", "Train a FeedForwardTuner on embeddings and labels, apply it to other embeddings, save it");
  cmd->add_option("--train", o->train, "Training embeddings, .npy (float32/float64, n x d)");
  cmd->add_option("--labels", o->labels, "Training labels: .txt (one per line) or .jsonl (with --label-field)")->required();
  cmd->add_option("--label-field", o->label_field, "Field of the .jsonl labels file holding the label (dotted paths allowed)");
  cmd->add_option("--row-field", o->row_field,
                  "Field of the .jsonl labels file holding the row of --train each label is for (e.g. row, as in "
                  "the explorer page's download); lines with an empty label are skipped");
  cmd->add_option("--apply", o->apply, "Embeddings to transform with the trained tuner, .npy (m x d)");
  cmd->add_option("--out", o->out, "Where to write the transformed embeddings, .npy (m x hidden-dim, float32); with --body, the folder "
                  "to write the finetuned sentence-transformers model to");
  cmd->add_option("--save", o->save, "Where to save the trained tuner, .safetensors");
  cmd->add_option("--hidden-dim", o->hidden_dim, "Size of the hidden layer (the new embedding)")
      ->capture_default_str()->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--epochs", o->epochs, "Passes over the training data")->capture_default_str()->check(CLI::Range(1, 1 << 24));
  cmd->add_option("--learning-rate", o->learning_rate, "Adam's learning rate")
      ->capture_default_str()->check(positive_number());
  cmd->add_option("--batch-size", o->batch_size, "Minibatch size")->capture_default_str()->check(CLI::Range(1, 1 << 24));
  cmd->add_option("--seed", o->seed, "Random seed (weights and shuffling); omit for a fresh one")->check(non_negative_integer());
  cmd->add_option("--objective", o->objective,
                  "What training minimises: sigmoid_ce (the original embetter's) or softmax_ce")
      ->capture_default_str()
      ->check(CLI::IsMember({objective_name(FeedForwardObjective::sigmoid_cross_entropy),
                             objective_name(FeedForwardObjective::softmax_cross_entropy)}));
  auto& b = o->body_options;
  cmd->add_flag("--body", o->body,
                "Finetune the transformer itself on pairs drawn from labelled texts (SetFit's recipe): needs "
                "--model, --texts, --labels and --out DIR; --epochs, --learning-rate, --batch-size and --seed "
                "apply, with defaults 1, 2e-5 and 16");
  cmd->add_option("--model", b.model, "--body: the sentence-transformers folder or hub id to start from");
  cmd->add_option("--texts", b.texts, "--body: the labelled texts, .txt (one per line) or .jsonl (with --text-field)");
  cmd->add_option("--text-field", b.text_field, "--body: field of the .jsonl texts file holding the text");
  cmd->add_option("--iterations", b.iterations, "--body: rounds of pair drawing (each gives every text a positive "
                  "and a negative partner)")->capture_default_str()->check(CLI::Range(1, 1 << 16));
  cmd->add_option("--loss", b.loss, "--body: cosine (SetFit's) or contrastive")
      ->capture_default_str()->check(CLI::IsMember({"cosine", "contrastive"}));
  cmd->add_option("--warmup-proportion", b.warmup_proportion, "--body: share of the steps warming the learning rate up")
      ->capture_default_str();
  cmd->add_option("--max-seq-length", b.max_seq_length, "--body: tokens per text (0: the model's)")
      ->capture_default_str()->check(CLI::Range(0, 1 << 20));
  return [o, &global, cmd] {
    if (!o->body) {
      for (const char* flag : {"--model", "--texts", "--text-field", "--iterations", "--loss", "--warmup-proportion",
                               "--max-seq-length"})
        EMB_CHECK(cmd->count(flag) == 0, flag, " applies to --body only");
      run_finetune(*o, global);
      return;
    }
    for (const char* flag : {"--train", "--apply", "--save", "--hidden-dim", "--objective", "--row-field"})
      EMB_CHECK(cmd->count(flag) == 0, flag, " does not apply to --body (which trains on texts and writes a model folder)");
    BodyFinetuneOptions body = o->body_options;
    body.labels = o->labels;
    body.label_field = o->label_field;
    body.out = o->out;
    // The shared options keep their FeedForwardTuner defaults unless given.
    if (cmd->count("--epochs")) body.epochs = o->epochs;
    if (cmd->count("--learning-rate")) body.learning_rate = o->learning_rate;
    if (cmd->count("--batch-size")) body.batch_size = o->batch_size;
    body.seed = o->seed;
    run_body_finetune(body, global);
  };
}

}  // namespace emb::cli
