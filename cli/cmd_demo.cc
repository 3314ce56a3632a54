// embetter demo: the seed's experiment end to end. Encode labelled texts,
// train FeedForwardTuners with hidden_dim 200 and 10 on a small training set,
// and compare raw and tuned embeddings of a larger test set: logistic
// regression accuracy, PCA charts and the silhouette of the PCA points.
// With --body, also finetune the sentence encoder's transformer itself on
// pairs drawn from the training labels (BodyFinetuner) and add its space.
// Everything is computed before the first file is written.
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>

#include "commands.h"
#include "embetter/body_finetuner.h"
#include "data_path.h"
#include "embetter/error.h"
#include "embetter/explorer.h"
#include "embetter/feed_forward_tuner.h"
#include "embetter/isa.h"
#include "embetter/jsonl.h"
#include "embetter/logistic_regression.h"
#include "embetter/metrics.h"
#include "embetter/npy.h"
#include "embetter/pca.h"
#include "embetter/plot.h"
#include "embetter/random.h"
#include "encoders.h"
#include "inputs.h"
#include "io/atomic_file.h"
#include "report.h"

namespace emb::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct DemoOptions {
  std::string data = std::string("../shared/") + kDemoDataName;
  std::string text_field = "text", label_field = "label";
  std::string encoder;  // empty: default_encoder() decides when the demo runs
  std::string precision = "fp32";
  std::string out = "embetter-demo";
  std::uint64_t seed = 42;
  std::size_t train_size = 200, test_size = 2000;
  int epochs = 500;
  bool data_given = false;
  bool explore = false;  // also write explore.html (+ explore-raw.npy)
  bool body = false;     // also finetune the transformer itself (sentence encoders only)
  int body_iterations = 2;
  int body_max_seq_length = 128;
};

struct Split {
  std::vector<std::string> texts, labels;
};

/// A chart waiting to be written once everything has been computed.
struct PendingChart {
  fs::path path;
  Matrix points;
  ScatterOptions options;
  std::string space;  // its name on the explorer page
};

class Demo {
 public:
  Demo(const DemoOptions& o, const GlobalOptions& global) : o_(o), console_(global), encoder_(o.encoder) {}

  void run() {
    const fs::path out(o_.out);
    std::error_code ec;
    EMB_CHECK(!fs::exists(out, ec) || fs::is_directory(out, ec), "--out ", o_.out, ": exists and is not a folder");
    const fs::path data = find_demo_data(o_.data, o_.data_given);
    load(data);
    if (o_.body && !o_.encoder.empty()) check_body_encoder();   // before the minutes of encoding
    encode();
    if (o_.body) check_body_encoder();
    evaluate("raw (" + encoder_ + ")", "pca-original.png", "Original embeddings", "raw", encoded_.train, encoded_.test);
    for (int hidden : {200, 10}) tune_and_evaluate(hidden);
    if (o_.body) finetune_body_and_evaluate();
    write(out);
  }

 private:
  template <class Fn>
  auto timed(const std::string& step, Fn&& fn) {
    const auto start = Clock::now();
    if constexpr (std::is_void_v<decltype(fn())>) {
      fn();
      report_.timings.push_back({step, seconds_since(start)});
    } else {
      auto result = fn();
      report_.timings.push_back({step, seconds_since(start)});
      return result;
    }
  }

  void load(const fs::path& data) {
    JsonlColumns columns = timed("read " + data.filename().string(), [&] {
      try {
        return read_jsonl(data, o_.text_field, o_.label_field);
      } catch (const Error& e) {
        throw InvalidArgument(std::string("--data: ") + e.what());
      }
    });
    const std::size_t needed = o_.train_size + o_.test_size;
    EMB_CHECK(columns.texts.size() >= needed, "--data ", data.string(), " has ", columns.texts.size(),
              " examples; --train-size ", o_.train_size, " + --test-size ", o_.test_size, " needs ", needed);
    // Seeded shuffle of the row order, then the first rows train and the next ones test.
    std::vector<std::size_t> order(columns.texts.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    Rng rng(o_.seed);
    rng.shuffle(std::span<std::size_t>(order));
    for (std::size_t i = 0; i < needed; ++i) {
      Split& part = i < o_.train_size ? train_ : test_;
      part.texts.push_back(std::move(columns.texts[order[i]]));
      part.labels.push_back(std::move(columns.labels[order[i]]));
    }
    check_two_classes(train_.labels, "--data " + data.string() + ": the " + std::to_string(o_.train_size) +
                                         " training examples (--train-size)");
    check_two_classes(test_.labels, "--data " + data.string() + ": the " + std::to_string(o_.test_size) +
                                        " test examples (--test-size)");

    std::map<std::string, std::size_t> counts;
    for (const std::string& label : test_.labels) ++counts[label];
    for (const auto& [label, count] : counts) {
      report_.class_counts += (report_.class_counts.empty() ? "" : ", ") + label + " " + std::to_string(count);
    }
    report_.data_file = data.string();
    report_.data_rows = columns.texts.size();
    report_.text_field = o_.text_field;
    report_.label_field = o_.label_field;
    report_.seed = o_.seed;
    report_.train_size = o_.train_size;
    report_.test_size = o_.test_size;
  }

  void encode() {
    std::string note;
    if (encoder_.empty()) {
      const DefaultEncoder chosen = default_encoder();
      encoder_ = chosen.spec;
      note = chosen.note;
      if (!note.empty()) console_.step(note);
    }
    encoded_ = timed("encode " + std::to_string(train_.texts.size() + test_.texts.size()) + " texts (" + encoder_ + ")",
                     [&] { return encode_texts(encoder_, {train_.texts, test_.texts}, {console_, o_.seed, o_.precision}); });
    // The fallback is part of the result: a reader comparing reports must see it.
    report_.encoder = note.empty() ? encoded_.description : note + ". " + encoded_.description;
    std::string levels;
    for (const std::string& level : runnable_kernel_isas()) levels += (levels.empty() ? "" : ", ") + level;
    report_.kernels = kernel_isa() + " (this CPU runs " + levels + "; EMB_ISA=<level> caps it)";
  }

  void tune_and_evaluate(int hidden_dim) {
    const std::string name = "finetuned, hidden_dim=" + std::to_string(hidden_dim);
    console_.step("training FeedForwardTuner(hidden_dim=" + std::to_string(hidden_dim) + ", n_epochs=" +
                  std::to_string(o_.epochs) + ") on " + std::to_string(train_.texts.size()) + " examples");
    ProgressBar bar(console_, "hidden_dim=" + std::to_string(hidden_dim));
    FeedForwardTunerParams params;
    params.hidden_dim = hidden_dim;
    params.n_epochs = o_.epochs;
    params.learning_rate = 0.01f;
    params.batch_size = 32;
    params.random_state = o_.seed;
    params.progress = bar.callback();
    FeedForwardTuner tuner(params);
    timed("train tuner, hidden_dim=" + std::to_string(hidden_dim), [&] { tuner.fit(encoded_.train, train_.labels); });
    bar.finish();
    Matrix train = tuner.transform(encoded_.train);
    Matrix test = tuner.transform(encoded_.test);
    evaluate(name, "pca-finetuned-hidden" + std::to_string(hidden_dim) + ".png",
             "Finetuned embeddings (hidden_dim=" + std::to_string(hidden_dim) + ")",
             "tuned, hidden_dim=" + std::to_string(hidden_dim), train, test);
  }

  static constexpr const char* kSentencePrefix = "sentence:";
  void check_body_encoder() const {
    const std::string& spec = encoder_.empty() ? o_.encoder : encoder_;
    EMB_CHECK(spec.rfind(kSentencePrefix, 0) == 0, "--body finetunes a sentence-transformers model; the encoder is '",
              spec, "' (use --encoder sentence:MODEL)");
  }

  // SetFit's recipe on the training texts: pairs from the labels, one epoch
  // of the cosine-similarity loss through the transformer, then both parts
  // encoded by the finetuned model.
  void finetune_body_and_evaluate() {
    const std::string model = encoder_.substr(std::string_view(kSentencePrefix).size());
    const auto pairs = label_pairs(train_.labels, o_.body_iterations, o_.seed);
    std::vector<std::string> first, second;
    std::vector<float> similarity;
    for (const auto& p : pairs) {
      first.push_back(train_.texts[p.first]);
      second.push_back(train_.texts[p.second]);
      similarity.push_back(p.label);
    }
    auto body = BodyFinetuner::load(model, o_.body_max_seq_length);
    BodyTrainingOptions t;
    const auto steps = static_cast<int>((pairs.size() + static_cast<std::size_t>(t.batch_size) - 1) /
                                        static_cast<std::size_t>(t.batch_size));
    t.warmup_steps = (steps + 9) / 10;   // SetFit's warm-up proportion, 0.1
    t.random_state = o_.seed;
    console_.step("finetuning " + model + "'s transformer on " + std::to_string(pairs.size()) + " pairs from the " +
                  std::to_string(train_.texts.size()) + " training texts (" + std::to_string(steps) + " steps)");
    ProgressBar bar(console_, "body");
    t.progress = bar.callback();
    timed("finetune the transformer (" + std::to_string(pairs.size()) + " pairs)",
          [&] { body.fit(first, second, similarity, t); });
    bar.finish();
    Matrix train, test;
    timed("encode " + std::to_string(train_.texts.size() + test_.texts.size()) + " texts (finetuned transformer)", [&] {
      train = body.encode(train_.texts);
      test = body.encode(test_.texts);
    });
    body_description_ = "BodyFinetuner (the transformer itself): " + std::to_string(o_.body_iterations) + " rounds of SetFit's pairs (" +
                   std::to_string(pairs.size()) + "), one epoch, batches of 16, cosine-similarity loss, AdamW at 2e-5 "
                   "with 10% warm-up, " + std::to_string(o_.body_max_seq_length) + " tokens per text";
    evaluate("body-finetuned", "pca-finetuned-body.png", "Finetuned transformer (SetFit's pairs)", "body-finetuned",
             train, test);
  }

  void evaluate(const std::string& name, const std::string& chart_file, const std::string& title,
                const std::string& space, const Matrix& train, const Matrix& test) {
    EmbeddingOutcome outcome;
    outcome.name = name;
    outcome.chart_file = chart_file;
    outcome.dims = test.cols();
    outcome.accuracy = timed("logistic regression, " + name, [&] {
      LogisticRegression clf;
      clf.fit(train, train_.labels);
      return clf.score(test, test_.labels);
    });
    Pca pca(2);
    PendingChart chart;
    chart.points = timed("PCA + silhouette, " + name, [&] {
      Matrix points = pca.fit_transform(test);
      outcome.silhouette = silhouette_score(points, test_.labels);
      return points;
    });
    const std::vector<float> ratio = pca.explained_variance_ratio();
    chart.options.title = title + ", " + std::to_string(test.rows()) + " test texts";
    chart.options.x_label = "PC 1 (" + variance_percent(ratio[0]) + " of the variance)";
    chart.options.y_label = "PC 2 (" + variance_percent(ratio[1]) + ")";
    chart.path = chart_file;
    chart.space = space;
    charts_.push_back(std::move(chart));
    report_.outcomes.push_back(outcome);
    console_.step(name + ": " + summary_line(outcome));
  }

  void write(const fs::path& out) {
    std::error_code ec;
    fs::create_directories(out, ec);
    EMB_CHECK_AS(Error, !ec && fs::is_directory(out), "--out ", out.string(), ": cannot create the folder: ",
                 ec.message());
    timed("write charts", [&] {
      for (const PendingChart& chart : charts_) write_scatter(out / chart.path, chart.points, test_.labels, chart.options);
    });
    report_.tuners = "FeedForwardTuner(n_epochs=" + std::to_string(o_.epochs) +
                     ", learning_rate=0.01, batch_size=32, random_state=" + std::to_string(o_.seed) +
                     ", objective=" + objective_name(FeedForwardTunerParams{}.objective) +
                     ") with hidden_dim=200 and hidden_dim=10, trained on the " + std::to_string(o_.train_size) +
                     " training embeddings; the charts and scores use the hidden layer's activations";
    if (!body_description_.empty()) report_.tuners += "; " + body_description_;
    if (o_.explore) write_explorer_page(out);
    io::write_file_atomic(out / "report.md", render_markdown(report_));
    io::write_file_atomic(out / "report.html", render_html(report_));
    if (console_.quiet()) return;
    std::cout << results_table(report_) << "CPU kernels: " << report_.kernels << "\n\n";
    for (const std::string& v : verdicts(report_)) std::cout << v << "\n";
    std::cout << "\nwrote " << (out / "report.html").string() << ", " << (out / "report.md").string() << " and "
              << charts_.size() << " charts in " << out.string() << "\n";
  }

  // The test texts in the charts' projections, labelled as in the data, and
  // their raw embeddings in page order: the page's labels download trains
  // `embetter finetune --train explore-raw.npy --labels labels.jsonl
  // --label-field label --row-field row`.
  void write_explorer_page(const fs::path& out) {
    std::vector<ExplorerSpace> spaces;
    for (const PendingChart& chart : charts_) spaces.push_back({chart.space, chart.points});
    ExplorerOptions page;
    page.title = "embetter demo: " + std::to_string(test_.texts.size()) + " test texts";
    timed("write explorer page", [&] {
      write_explorer(out / "explore.html", test_.texts, test_.labels, spaces, page);
      write_npy(out / "explore-raw.npy", encoded_.test);
    });
    console_.step("wrote " + (out / "explore.html").string() + " and its raw embeddings, explore-raw.npy");
  }

  const DemoOptions& o_;
  Console console_;
  std::string encoder_;  // the spec in use (--encoder, or the default once resolved)
  Split train_, test_;
  EncodedSplit encoded_;
  DemoReport report_;
  std::vector<PendingChart> charts_;
  std::string body_description_;   // --body: how the transformer was finetuned
};

}  // namespace

Command add_demo_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "demo", "Run the finetuning experiment: encode texts, train tuners (hidden_dim 200 and 10) on a few labelled "
              "examples, write PCA charts and a report (Markdown + HTML)");
  CLI::Option* data = cmd->add_option(
      "--data", o->data,
      "JSONL file of labelled texts (default: ../shared/data/imdb-5000.jsonl, found via EMBETTER_SHARED, the "
      "current folder or the executable's repository)");
  cmd->add_option("--text-field", o->text_field, "Field holding the text")->capture_default_str();
  cmd->add_option("--label-field", o->label_field, "Field holding the label (dotted paths allowed)")->capture_default_str();
  cmd->add_option("--encoder", o->encoder, encoder_help());
  cmd->add_option("--precision", o->precision, "Matrix products of the sentence encoders: fp32, or int8 (faster)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fp32", "int8"}));
  cmd->add_option("--out", o->out, "Output folder for the charts and report")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the shuffle, the encoder and the tuners")->capture_default_str();
  cmd->add_option("--train-size", o->train_size, "Labelled examples the tuners and the classifier learn from")
      ->capture_default_str()->check(CLI::Range(std::size_t{2}, std::size_t{10'000'000}));
  cmd->add_option("--test-size", o->test_size, "Examples the charts and scores are computed on")
      ->capture_default_str()->check(CLI::Range(std::size_t{3}, std::size_t{10'000'000}));
  cmd->add_flag("--explore", o->explore,
                "Also write explore.html, the explorer page of the test texts in every space (docs/explorer.md), "
                "and explore-raw.npy, their raw embeddings");
  cmd->add_option("--epochs", o->epochs, "Training epochs of each tuner")->capture_default_str()->check(CLI::Range(1, 1 << 24));
  cmd->add_flag("--body", o->body,
                "Also finetune the sentence encoder's transformer itself on pairs drawn from the training labels "
                "(SetFit's recipe; minutes on a laptop) and add its space to the charts and the report");
  cmd->add_option("--body-iterations", o->body_iterations, "--body: rounds of pair drawing")
      ->capture_default_str()->check(CLI::Range(1, 1 << 16));
  cmd->add_option("--body-max-seq-length", o->body_max_seq_length, "--body: tokens per text while finetuning")
      ->capture_default_str()->check(CLI::Range(1, 1 << 20));
  return [o, data, &global] {
    o->data_given = data->count() > 0;
    Demo(*o, global).run();
  };
}

}  // namespace emb::cli
