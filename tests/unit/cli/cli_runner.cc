#include "cli_runner.h"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "embetter/error.h"
#include "embetter/random.h"
#include "npy_bytes.h"
#include "support/test_support.h"

namespace emb::test {
namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_bytes(const fs::path& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

namespace {

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

CliResult run_cli(const std::vector<std::string>& args) {
  static int counter = 0;
  const fs::path dir = temp_dir() / detail::concat("run", counter++);
  fs::create_directories(dir);
  std::string command = quote(EMB_CLI_PATH);
  // (Appending piece by piece: GCC 12 warns falsely about "literal" + std::string temporaries.)
  for (const std::string& a : args) command.append(" ").append(quote(a));
  command.append(" >").append(quote((dir / "out").string()));
  command.append(" 2>").append(quote((dir / "err").string())).append(" </dev/null");
  const int status = std::system(command.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(dir / "out");
  r.err = slurp(dir / "err");
  return r;
}

CliInputs::CliInputs() {
  static int counter = 0;
  dir = temp_dir() / detail::concat("inputs", counter++);
  fs::create_directories(dir);
  x = dir / "x.npy";
  labels = dir / "y.txt";
  labels_jsonl = dir / "y.jsonl";
  z = dir / "z.npy";
  Rng rng(5);
  std::vector<float> values;
  std::string lines, json;
  for (std::size_t i = 0; i < n; ++i) {
    const bool b = i % 2 == 1;
    for (std::size_t j = 0; j < d; ++j) values.push_back(static_cast<float>((b ? 1.0 : -1.0) + 0.3 * rng.normal()));
    lines += b ? "b\n" : "a\n";
    json += std::string("{\"text\": \"t") + std::to_string(i) + "\", \"meta\": {\"label\": \"" + (b ? "b" : "a") +
            "\"}}\n";
  }
  write_bytes(x, npy_bytes("<f4", false, {n, d}, f32_bytes(values)));
  write_bytes(labels, lines);
  write_bytes(labels_jsonl, json);
  values.resize(10 * d);
  write_bytes(z, npy_bytes("<f4", false, {10, d}, f32_bytes(values)));
}

void expect_bad_input(const CliResult& r, const std::vector<std::string>& fragments, const fs::path& not_written) {
  EXPECT_EQ(r.code, 2) << r.err;
  for (const std::string& f : fragments) {
    EXPECT_NE(r.err.find(f), std::string::npos) << "missing '" << f << "' in: " << r.err;
  }
  EXPECT_FALSE(fs::exists(not_written)) << not_written;
  for (const auto& entry : fs::directory_iterator(not_written.parent_path())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

}  // namespace emb::test
