// embetter explore end to end (the page written, and served over HTTP), and the
// explorer's labels file fed to embetter finetune.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_runner.h"
#include "embetter/feed_forward_tuner.h"
#include "embetter/npy.h"
#include "npy_bytes.h"

namespace emb::test {
namespace {

namespace fs = std::filesystem;

TEST(CliExplore, Help) {
  const CliResult r = run_cli({"explore", "--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* o :
       {"--data", "--embeddings", "--tuned", "--out", "--text-field", "--label-field", "--title", "--serve", "--port"})
    EXPECT_NE(r.out.find(o), std::string::npos) << o;
  EXPECT_NE(run_cli({"finetune", "--help"}).out.find("--row-field"), std::string::npos);
}

TEST(CliExplore, WritesThePageWithBothSpaces) {
  const CliInputs in;
  const fs::path page = in.dir / "page.html";
  const CliResult r = run_cli({"explore", "--data", in.labels_jsonl.string(), "--label-field", "meta.label",
                               "--embeddings", in.x.string(), "--tuned", in.x.string(), "--out", page.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("wrote " + page.string() + " (60 texts, 2 spaces)"), std::string::npos) << r.err;
  const std::string html = slurp(page);
  EXPECT_NE(html.find("\"texts\":[\"t0\",\"t1\""), std::string::npos);
  EXPECT_NE(html.find("\"classes\":[\"a\",\"b\"],\"label_index\":[0,1,0,1"), std::string::npos);
  EXPECT_NE(html.find("{\"name\":\"raw\""), std::string::npos);
  EXPECT_NE(html.find("{\"name\":\"tuned\""), std::string::npos);
  EXPECT_NE(html.find("<title>embetter explorer: y.jsonl</title>"), std::string::npos);
}

TEST(CliExplore, BadInputsNameTheOption) {
  const CliInputs in;
  const fs::path page = in.dir / "page.html";
  expect_bad_input(run_cli({"explore", "--data", in.labels_jsonl.string(), "--embeddings", in.x.string(), "--tuned",
                            in.z.string(), "--out", page.string()}),
                   {"--tuned " + in.z.string(), "has 10 rows", "60 texts"}, page);
  expect_bad_input(run_cli({"explore", "--data", in.labels_jsonl.string(), "--embeddings", in.x.string(), "--out",
                            (in.dir / "page.png").string()}),
                   {"--out", ".html"}, in.dir / "page.png");
  expect_bad_input(run_cli({"explore", "--data", in.labels_jsonl.string(), "--label-field", "nope", "--embeddings",
                            in.x.string(), "--out", page.string()}),
                   {"--data", "nope"}, page);
}

/// `embetter ARGS` started in the background, stdout and stderr to files; killed at the end if still running.
class BackgroundCli {
 public:
  BackgroundCli(const std::vector<std::string>& args, const fs::path& dir) : out_(dir / "out"), err_(dir / "err") {
    std::vector<std::string> argv_s = {EMB_CLI_PATH};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&files, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&files, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    EXPECT_EQ(posix_spawn(&pid_, argv[0], &files, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&files);
  }
  ~BackgroundCli() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  /// Waits (up to 60 s: the test machine may be busy) until stdout holds `marker`; returns stdout.
  std::string wait_for(const std::string& marker) const {
    for (int i = 0; i < 600; ++i) {
      const std::string out = slurp(out_);
      if (out.find(marker) != std::string::npos) return out;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "no '" << marker << "' on stdout; stderr: " << slurp(err_);
    return "";
  }
  /// Sends SIGINT (Ctrl-C) and returns the exit code (-1: killed by a signal).
  int interrupt() {
    ::kill(pid_, SIGINT);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string err() const { return slurp(err_); }

 private:
  fs::path out_, err_;
  pid_t pid_ = -1;
};

/// Sends `request` to 127.0.0.1:port and returns everything the server sends back before it closes.
std::string http(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
    char buf[65536];
    for (ssize_t k; (k = ::recv(fd, buf, sizeof buf, 0)) > 0;) response.append(buf, static_cast<std::size_t>(k));
  }
  ::close(fd);
  return response;
}

TEST(CliExplore, ServesThePageOnLocalhostUntilCtrlC) {
  const CliInputs in;
  const fs::path page = in.dir / "served.html";
  BackgroundCli cli({"explore", "--data", in.labels_jsonl.string(), "--embeddings", in.x.string(), "--out",
                     page.string(), "--serve", "--port", "0"},
                    in.dir);
  const std::string out = cli.wait_for("(Ctrl-C to stop)");
  const std::string prefix = "(60 texts, 1 space) at http://127.0.0.1:";
  ASSERT_NE(out.find(prefix), std::string::npos) << out;
  const int port = std::stoi(out.substr(out.find(prefix) + prefix.size()));
  EXPECT_GT(port, 0);

  // A real GET: the page written by --out, byte for byte.
  const std::string got = http(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  const std::string html = slurp(page);
  ASSERT_NE(got.find("\r\n\r\n"), std::string::npos) << got;
  const std::string head = got.substr(0, got.find("\r\n\r\n"));
  EXPECT_EQ(head.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Content-Type: text/html; charset=utf-8"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Length: " + std::to_string(html.size())), std::string::npos) << head;
  EXPECT_EQ(got.substr(head.size() + 4), html);
  EXPECT_EQ(http(port, "GET /favicon.ico HTTP/1.0\r\n\r\n").rfind("HTTP/1.0 404 Not Found", 0), 0u);
  EXPECT_EQ(http(port, "POST / HTTP/1.0\r\nContent-Length: 0\r\n\r\n").rfind("HTTP/1.0 405", 0), 0u);
  const std::string head_only = http(port, "HEAD / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(head_only.substr(head_only.find("\r\n\r\n") + 4), "");

  // Ctrl-C stops it cleanly.
  EXPECT_EQ(cli.interrupt(), 0) << cli.err();
  EXPECT_NE(cli.err().find("stopped serving"), std::string::npos) << cli.err();
}

TEST(CliExplore, ServeErrors) {
  const CliInputs in;
  const fs::path page = in.dir / "page.html";
  expect_bad_input(run_cli({"explore", "--data", in.labels_jsonl.string(), "--embeddings", in.x.string()}),
                   {"nothing to do", "--out", "--serve"}, page);
  expect_bad_input(run_cli({"explore", "--data", in.labels_jsonl.string(), "--embeddings", in.x.string(), "--out",
                            page.string(), "--port", "8000"}),
                   {"--port needs --serve"}, page);
  // A port that is taken (by this test's own listening socket).
  const int taken = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::listen(taken, 1), 0);
  ASSERT_EQ(::getsockname(taken, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  const CliResult r = run_cli({"explore", "--data", in.labels_jsonl.string(), "--embeddings", in.x.string(), "--serve",
                               "--port", port});
  ::close(taken);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("--port " + port + ": cannot listen on 127.0.0.1:" + port), std::string::npos) << r.err;
}

/// The explorer's download for the rows of CliInputs: every third row unlabelled.
fs::path write_explorer_labels(const CliInputs& in, std::vector<std::size_t>& rows, std::string& lines) {
  std::string jsonl;
  for (std::size_t i = 0; i < in.n; ++i) {
    const std::string label = i % 3 == 2 ? "" : (i % 2 ? "b" : "a");
    std::string text = "t";  // (not "t" + to_string: GCC 12 warns falsely on it)
    text += std::to_string(i);
    jsonl += nlohmann::json({{"text", text}, {"label", label}, {"row", i}}).dump() + "\n";
    if (label.empty()) continue;
    rows.push_back(i);
    lines += label + "\n";
  }
  const fs::path path = in.dir / "labels.jsonl";
  write_bytes(path, jsonl);
  return path;
}

TEST(CliExplore, FinetuneTrainsOnTheLabelledRowsOfTheDownload) {
  const CliInputs in;
  std::vector<std::size_t> rows;
  std::string lines;
  const fs::path labels = write_explorer_labels(in, rows, lines);
  const fs::path save = in.dir / "from_download.safetensors";
  const CliResult r = run_cli({"finetune", "--train", in.x.string(), "--labels", labels.string(), "--label-field",
                               "label", "--row-field", "row", "--hidden-dim", "3", "--epochs", "20", "--seed", "1",
                               "--save", save.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("training on the 40 labelled rows"), std::string::npos) << r.err;
  // The same tuner as one trained on just those rows and labels.
  const Matrix picked = read_npy(in.x).select_rows(rows);
  const fs::path x_picked = in.dir / "picked.npy", y_picked = in.dir / "picked.txt", same = in.dir / "same.safetensors";
  write_npy(x_picked, picked);
  write_bytes(y_picked, lines);
  ASSERT_EQ(run_cli({"finetune", "--train", x_picked.string(), "--labels", y_picked.string(), "--hidden-dim", "3",
                     "--epochs", "20", "--seed", "1", "--save", same.string()})
                .code,
            0);
  EXPECT_EQ(slurp(save), slurp(same));
}

TEST(CliExplore, FinetuneRowFieldErrors) {
  const CliInputs in;
  const fs::path save = in.dir / "t.safetensors";
  const auto finetune = [&](const std::string& jsonl) {
    const fs::path labels = in.dir / "bad.jsonl";
    write_bytes(labels, jsonl);
    return run_cli({"finetune", "--train", in.x.string(), "--labels", labels.string(), "--label-field", "label",
                    "--row-field", "row", "--save", save.string()});
  };
  expect_bad_input(finetune("{\"label\": \"a\", \"row\": 0}\n{\"label\": \"b\", \"row\": 60}\n"),
                   {"--labels", "'row' 60 is past the last row", "60 rows"}, save);
  expect_bad_input(finetune("{\"label\": \"a\", \"row\": 1}\n{\"label\": \"b\", \"row\": 1}\n"),
                   {"row 1 is labelled twice"}, save);
  expect_bad_input(finetune("{\"label\": \"\", \"row\": 1}\n"), {"no line has a label"}, save);
  expect_bad_input(finetune("{\"label\": \"a\", \"row\": -1}\n"), {"bad.jsonl:1", "expected a row index"}, save);
  expect_bad_input(finetune("{\"label\": \"a\"}\n"), {"bad.jsonl:1", "no field 'row'"}, save);
  expect_bad_input(finetune("{\"label\": \"a\", \"row\": 0}\n{\"label\": \"a\", \"row\": 2}\n"), {"only one class"}, save);
}

}  // namespace
}  // namespace emb::test
