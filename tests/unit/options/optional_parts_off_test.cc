// The replacements a build without libcurl or cairo compiles in: they are
// linked here ahead of the library's real ones, so this runs in the default
// build too.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "embetter/error.h"
#include "embetter/plot.h"
#include "hub/http_client.h"

namespace {

template <typename Fn>
std::string message_of(Fn&& fn) {
  try {
    fn();
  } catch (const emb::Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(OptionalPartsOff, ADownloadIsAClearErrorNamingTheOptionAndTheCache) {
  const emb::hub::HttpClient client({"User-Agent: test"});
  const std::string url = "https://huggingface.co/org/model/resolve/main/config.json";
  for (const std::string& message :
       {message_of([&] { client.head(url); }), message_of([&] { client.download(url, stdout, {}); })}) {
    EXPECT_NE(message.find(url), std::string::npos) << message;
    EXPECT_NE(message.find("EMB_WITH_HUB=OFF"), std::string::npos) << message;
    EXPECT_NE(message.find("Hugging Face cache"), std::string::npos) << message;
  }
  EXPECT_THROW(client.head(url), emb::ModelLoadError);
  // What needs no libcurl still works.
  EXPECT_EQ(emb::hub::HttpClient::escape("a b/c", true), "a%20b/c");
}

TEST(OptionalPartsOff, AChartIsAClearErrorNamingTheOptionAndWritesNothing) {
  const auto path = std::filesystem::temp_directory_path() / "embetter-options-off-chart.png";
  std::filesystem::remove(path);
  emb::Matrix points(3, 2);
  const std::string message = message_of([&] { emb::write_scatter(path, points, {"a", "b", "a"}); });
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("EMB_WITH_PLOT=OFF"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
