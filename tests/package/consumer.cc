// Uses the installed package as a user would: only <embetter/...> headers
// and embetter::embetter. Encodes the first text of a sentence-transformers
// fixture's golden.jsonl and compares it with sentence-transformers'
// embedding (within 1e-4, as the library's own parity tests), then tunes a
// FeedForwardTuner on a few rows. Exit 0 when both hold.
//   consumer FIXTURE_FOLDER
#include <embetter/feed_forward_tuner.h>
#include <embetter/sentence_encoder.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer FIXTURE_FOLDER\n");
    return 2;
  }
  const std::string folder = argv[1];
  std::ifstream golden_file(folder + "/golden.jsonl");
  std::string line;
  if (!std::getline(golden_file, line)) {
    std::fprintf(stderr, "consumer: cannot read %s/golden.jsonl\n", folder.c_str());
    return 2;
  }
  const auto golden = nlohmann::json::parse(line);
  const auto expected = golden.at("embedding").get<std::vector<float>>();

  const auto encoder = emb::SentenceEncoder::load(folder);
  const emb::Matrix X = encoder.encode({golden.at("text").get<std::string>()});
  if (X.cols() != expected.size()) {
    std::fprintf(stderr, "consumer: %zu values, expected %zu\n", X.cols(), expected.size());
    return 1;
  }
  double worst = 0;
  for (std::size_t j = 0; j < expected.size(); ++j) worst = std::max(worst, double(std::fabs(X(0, j) - expected[j])));
  std::printf("embedding of %zu values, largest difference from sentence-transformers %.3g\n", X.cols(), worst);
  if (!(worst <= 1e-4)) return 1;

  emb::Matrix rows(4, X.cols());
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < X.cols(); ++j) rows(i, j) = X(0, j) * (i < 2 ? 1.0f : -1.0f);
  emb::FeedForwardTuner tuner({.hidden_dim = 3, .n_epochs = 5});
  const emb::Matrix tuned = tuner.fit(rows, {"a", "a", "b", "b"}).transform(rows);
  std::printf("tuned to %zu columns\n", tuned.cols());
  return tuned.rows() == 4 && tuned.cols() == 3 ? 0 : 1;
}
