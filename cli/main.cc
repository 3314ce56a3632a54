// embetter: the command line. Parses the global options and one subcommand,
// runs it, and maps failures to exit codes (see console.h): bad input or usage
// 2, interruption 130, any other failure 1. Errors go to stderr as
// "embetter <command>: error: <message>".
#include <iostream>
#include <map>
#include <string>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "console.h"
#include "embetter/error.h"
#include "embetter/threads.h"

namespace {

// Every message that names a bad value quotes an excerpt of it; this is the
// net under the ones that do not (a path made of a 100 KB module name): the
// head names the file, the tail says what was expected.
std::string bounded(std::string message) {
  constexpr std::size_t kHead = 600, kTail = 200;
  if (message.size() <= kHead + kTail + 16) return message;
  std::size_t head = kHead, tail = message.size() - kTail;
  while (head > 0 && (static_cast<unsigned char>(message[head]) & 0xC0) == 0x80) --head;
  while (tail < message.size() && (static_cast<unsigned char>(message[tail]) & 0xC0) == 0x80) ++tail;
  return message.substr(0, head) + " […] " + message.substr(tail);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace emb::cli;
  GlobalOptions global;
  CLI::App app{"embetter: embeddings, finetuners and charts from the command line"};
  app.name("embetter");
  app.require_subcommand(1);
  app.add_flag("-q,--quiet", global.quiet, "No progress bars or status messages; errors only");
  app.add_option("--threads", global.threads, "Threads to use (0 = all cores); results are reproducible per count")
      ->capture_default_str()->check(CLI::Range(0, 4096));
  const std::map<std::string, Command> commands = {{"finetune", add_finetune_command(app, global)},
                                                  {"pca", add_pca_command(app, global)},
                                                  {"demo", add_demo_command(app, global)},
                                                  {"encode", add_encode_command(app, global)},
                                                  {"explore", add_explore_command(app, global)}};

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitBadInput;
  }

  install_interrupt_handler();
  if (global.threads > 0) emb::set_num_threads(global.threads);
  const std::string name = app.get_subcommands().front()->get_name();
  const std::string who = "embetter " + name;
  try {
    commands.at(name)();
    return 0;
  } catch (const emb::Interrupted& e) {
    std::cerr << who << ": interrupted (" << bounded(e.what()) << "); nothing was written\n";
    return kExitInterrupted;
  } catch (const emb::InvalidArgument& e) {
    std::cerr << who << ": error: " << bounded(e.what()) << "\n";
    return kExitBadInput;
  } catch (const emb::ModelLoadError& e) {
    std::cerr << who << ": error: " << bounded(e.what()) << "\n";
    return kExitBadInput;
  } catch (const emb::NotSupportedError& e) {  // a model or file kind we do not read: the input's fault too
    std::cerr << who << ": error: " << bounded(e.what()) << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << who << ": failed: " << bounded(e.what()) << "\n";
    return kExitFailure;
  }
}
