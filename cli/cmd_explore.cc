// embetter explore: the explorer page (include/embetter/explorer.h) for texts
// and their embeddings: each space projected to 2-D by PCA, drawn side by side;
// written to a file (--out) and/or served on 127.0.0.1 (--serve, serve.h).
#include <iostream>
#include <memory>

#include "commands.h"
#include "embetter/error.h"
#include "embetter/explorer.h"
#include "embetter/jsonl.h"
#include "embetter/pca.h"
#include "inputs.h"
#include "io/atomic_file.h"
#include "serve.h"

namespace emb::cli {
namespace {

struct ExploreOptions {
  std::string data, embeddings, tuned, out, title;
  std::string text_field = "text", label_field;
  bool serve = false;
  int port = 0;
  bool port_given = false;
};

ExplorerSpace project(const std::string& name, const Matrix& X, const std::string& what) {
  EMB_CHECK(X.rows() >= 2 && X.cols() >= 2, what, " has shape [", X.rows(), ", ", X.cols(),
            "]; a 2-D PCA needs at least 2 rows and 2 columns");
  return {name, Pca(2).fit_transform(X)};
}

void run_explore(const ExploreOptions& o, const GlobalOptions& global) {
  const Console console(global);
  EMB_CHECK(!o.out.empty() || o.serve, "nothing to do: give --out page.html and/or --serve");
  EMB_CHECK(o.serve || !o.port_given, "--port needs --serve");
  if (!o.out.empty()) check_output_path(o.out, "--out", {".html"});
  JsonlColumns columns;
  try {
    columns = read_jsonl(o.data, o.text_field, o.label_field);
  } catch (const Error& e) {
    throw InvalidArgument("--data: " + std::string(e.what()));
  }
  const std::size_t n = columns.texts.size();
  std::vector<std::pair<std::string, std::string>> inputs = {{"raw", o.embeddings}};
  if (!o.tuned.empty()) inputs.emplace_back("tuned", o.tuned);
  std::vector<ExplorerSpace> spaces;
  for (const auto& [name, path] : inputs) {
    const std::string option = name == "raw" ? "--embeddings" : "--tuned";
    const Matrix X = load_embeddings(path, option);
    EMB_CHECK(X.rows() == n, describe(option, path), " has ", X.rows(), " rows but ", describe("--data", o.data), " has ",
              n, " texts; expected one embedding per text, in file order");
    spaces.push_back(project(name, X, describe(option, path)));
  }
  ExplorerOptions page;
  page.title = o.title.empty() ? "embetter explorer: " + std::filesystem::path(o.data).filename().string() : o.title;
  const std::string html = render_explorer(columns.texts, columns.labels, spaces, page);
  const std::string what = " (" + std::to_string(n) + " texts, " + std::to_string(spaces.size()) +
                           (spaces.size() == 1 ? " space)" : " spaces)");
  if (!o.out.empty()) {
    io::write_file_atomic(o.out, html);
    console.step("wrote " + o.out + what);
  }
  if (!o.serve) return;
  serve_page(html, o.port, [&](const std::string& url) {
    // On stdout even with --quiet: a script reads the URL (and the port 0 picked) from here.
    std::cout << "serving the explorer page" << what << " at " << url << " (Ctrl-C to stop)" << std::endl;
  });
  console.step("stopped serving");
}

}  // namespace

Command add_explore_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<ExploreOptions>();
  CLI::App* cmd = app.add_subcommand(
      "explore", "Write an HTML page to look at texts by their embeddings, lasso clusters and label them "
                 "(one self-contained file; docs/explorer.md)");
  cmd->add_option("--data", o->data, "JSONL file of the texts (one object per line)")->required();
  cmd->add_option("--text-field", o->text_field, "Field holding the text")->capture_default_str();
  cmd->add_option("--label-field", o->label_field,
                  "Field holding a label to colour the points by (\"\" in the file = unlabelled); default: none");
  cmd->add_option("--embeddings", o->embeddings, "Embeddings of the texts, .npy (n x d), drawn as the space 'raw'")
      ->required();
  cmd->add_option("--tuned", o->tuned, "Other embeddings of the same texts (e.g. a tuner's output), drawn as 'tuned'");
  cmd->add_option("--out", o->out, "The page to write, .html (required unless --serve)");
  cmd->add_flag("--serve", o->serve, "Serve the page on 127.0.0.1 until Ctrl-C (and print its URL)");
  CLI::Option* port = cmd->add_option("--port", o->port, "Port for --serve; 0 picks a free one")
                          ->capture_default_str()
                          ->check(CLI::Range(0, 65535));
  cmd->add_option("--title", o->title, "Page title (default: embetter explorer: <data file>)");
  return [o, port, &global] {
    o->port_given = port->count() > 0;
    run_explore(*o, global);
  };
}

}  // namespace emb::cli
