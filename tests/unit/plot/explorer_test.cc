#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "embetter/error.h"
#include "embetter/explorer.h"
#include "support/test_support.h"

namespace emb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kDataOpen = "<script type=\"application/json\" id=\"embetter-data\">";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The text of the data element: from its opening tag to the first "</script".
std::string data_element(const std::string& page) {
  const std::size_t open = page.find(kDataOpen);
  EXPECT_NE(open, std::string::npos);
  const std::size_t begin = open + kDataOpen.size();
  return page.substr(begin, page.find("</script", begin) - begin);
}

std::vector<float> decode_float32(const std::string& b64) {
  auto value = [](char c) -> unsigned {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : 63;
  };
  std::string bytes;
  for (std::size_t i = 0; i + 4 <= b64.size(); i += 4) {
    const unsigned v = value(b64[i]) << 18 | value(b64[i + 1]) << 12 |
                       (b64[i + 2] == '=' ? 0 : value(b64[i + 2]) << 6) | (b64[i + 3] == '=' ? 0 : value(b64[i + 3]));
    bytes += static_cast<char>(v >> 16);
    if (b64[i + 2] != '=') bytes += static_cast<char>((v >> 8) & 255);
    if (b64[i + 3] != '=') bytes += static_cast<char>(v & 255);
  }
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

Matrix points(std::size_t n, float offset = 0.0f) {
  Matrix m(n, 2);
  for (std::size_t i = 0; i < n; ++i) {
    m(i, 0) = offset + 0.1f * static_cast<float>(i) - 1.0f / 3.0f;
    m(i, 1) = -offset - std::sqrt(static_cast<float>(i) + 0.5f);
  }
  return m;
}

TEST(Explorer, DataRoundTripsExactly) {
  const std::vector<std::string> texts = {"first \"quoted\"\\ text", "zweite Zeile\nmit Umbruch", "三番目 😀",
                                          "tab\there", "\x01 control"};
  const std::vector<std::string> labels = {"pos", "", "neg", "pos", "42"};
  const std::vector<ExplorerSpace> spaces = {{"raw", points(5)}, {"tuned", points(5, 7.0f)}};
  const std::string page = render_explorer(texts, labels, spaces, {.title = "My <reviews>"});
  const json data = json::parse(data_element(page));
  EXPECT_EQ(data["title"], "My <reviews>");
  EXPECT_EQ(data["texts"].get<std::vector<std::string>>(), texts);
  EXPECT_EQ(data["classes"], json({"42", "neg", "pos"}));  // sorted, "" is not a class
  EXPECT_EQ(data["label_index"], json({2, -1, 1, 2, 0}));
  ASSERT_EQ(data["spaces"].size(), 2u);
  for (std::size_t s = 0; s < 2; ++s) {
    EXPECT_EQ(data["spaces"][s]["name"], spaces[s].name);
    const std::vector<float> xy = decode_float32(data["spaces"][s]["xy"]);
    ASSERT_EQ(xy.size(), 10u);
    for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(xy[i], spaces[s].points.data()[i]) << "space " << s << " value " << i;
  }
  EXPECT_NE(page.find("<title>My &lt;reviews&gt;</title>"), std::string::npos);
}

TEST(Explorer, NoLabelsMeansEveryRowUnlabelled) {
  const json data = json::parse(data_element(render_explorer({"a", "b", "c"}, {}, {{"raw", points(3)}})));
  EXPECT_EQ(data["classes"], json::array());
  EXPECT_EQ(data["label_index"], json({-1, -1, -1}));
}

TEST(Explorer, TextsCannotCloseTheScriptOrOpenAComment) {
  const std::vector<std::string> texts = {"</script><script>alert(1)</script>", "<!-- <script>", "a & b > c",
                                          "</SCRIPT >", "line\xE2\x80\xA8separator"};
  const std::vector<std::string> labels = {"</script>", "", "", "", ""};
  const std::string page = render_explorer(texts, labels, {{"<!--space-->", points(5)}}, {.title = "</script>"});
  const std::string element = data_element(page);
  for (const char* bad : {"<", ">", "&", "\xE2\x80\xA8"}) EXPECT_EQ(element.find(bad), std::string::npos) << bad;
  // The element ends where the page's own markup continues, and the JSON holds the texts unchanged.
  const json data = json::parse(element);
  EXPECT_EQ(data["texts"].get<std::vector<std::string>>(), texts);
  EXPECT_EQ(data["classes"][0], "</script>");
  EXPECT_EQ(data["spaces"][0]["name"], "<!--space-->");
}

TEST(Explorer, PageIsSelfContained) {
  const std::string page = render_explorer({"a"}, {}, {{"raw", points(1)}});
  for (const char* fetch : {"http://", "https://", "src=", "href=", "@import", "url("})
    EXPECT_EQ(page.find(fetch), std::string::npos) << fetch;
  // Three script elements' worth of closing tags: the data, the code, and nothing else.
  std::size_t closes = 0;
  for (std::size_t at = page.find("</script"); at != std::string::npos; at = page.find("</script", at + 1)) ++closes;
  EXPECT_EQ(closes, 2u);
  EXPECT_NE(page.find("window.embetterExplorer"), std::string::npos);
  for (const char* marker : {"@TITLE@", "@STYLE@", "@SCRIPT@", "@DATA@"}) EXPECT_EQ(page.find(marker), std::string::npos);
}

TEST(Explorer, MarkersInsideTextsStayText) {
  const json data = json::parse(data_element(render_explorer({"@SCRIPT@ @DATA@"}, {}, {{"raw", points(1)}})));
  EXPECT_EQ(data["texts"][0], "@SCRIPT@ @DATA@");
}

TEST(Explorer, BadInputNamesTheArgument) {
  const auto fails = [](const std::vector<std::string>& texts, const std::vector<std::string>& labels,
                        const std::vector<ExplorerSpace>& spaces) {
    return test::message_of<InvalidArgument>([&] { render_explorer(texts, labels, spaces); });
  };
  EXPECT_THAT(fails({}, {}, {{"raw", Matrix(0, 2)}}), testing::HasSubstr("texts is empty"));
  EXPECT_THAT(fails({"a", "b"}, {"x"}, {{"raw", points(2)}}), testing::HasSubstr("labels has 1 entries but texts has 2"));
  EXPECT_THAT(fails({"a", "b"}, {}, {}), testing::HasSubstr("spaces is empty"));
  EXPECT_THAT(fails({"a", "b"}, {}, {{"raw", points(3)}}),
              testing::AllOf(testing::HasSubstr("spaces[0] ('raw') has shape [3, 2]"), testing::HasSubstr("expected [2, 2]")));
  EXPECT_THAT(fails({"a", "b"}, {}, {{"raw", Matrix(2, 3)}}), testing::HasSubstr("has shape [2, 3]"));
  Matrix nan = points(2);
  nan(1, 1) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THAT(fails({"a", "b"}, {}, {{"raw", points(2)}, {"tuned", nan}}),
              testing::AllOf(testing::HasSubstr("spaces[1] ('tuned'): row 1"), testing::HasSubstr("finite")));
  Matrix inf = points(2);
  inf(0, 0) = std::numeric_limits<float>::infinity();
  EXPECT_THAT(fails({"a", "b"}, {}, {{"raw", inf}}), testing::HasSubstr("row 0"));
  EXPECT_THAT(fails({"a", "b"}, {}, {{"raw", points(2)}, {"raw", points(2)}}), testing::HasSubstr("used twice"));
  EXPECT_THAT(fails({"a", "b"}, {}, {{"", points(2)}}), testing::HasSubstr("empty name"));
  EXPECT_THAT(fails({"a", "b\xff"}, {}, {{"raw", points(2)}}), testing::HasSubstr("texts[1] is not valid UTF-8"));
  EXPECT_THAT(fails({"a", "b"}, {"\xc3", ""}, {{"raw", points(2)}}), testing::HasSubstr("labels[0] is not valid UTF-8"));
}

TEST(Explorer, WritesAtomically) {
  const fs::path dir = test::temp_dir() / "explorer";
  fs::create_directories(dir);
  const fs::path page = dir / "page.html";
  write_explorer(page, {"a", "b"}, {"x", ""}, {{"raw", points(2)}});
  const std::string first = slurp(page);
  EXPECT_EQ(first, render_explorer({"a", "b"}, {"x", ""}, {{"raw", points(2)}}));
  // A failed render leaves the old page as it was, and no temporary file.
  EXPECT_THROW(write_explorer(page, {"a", "b"}, {}, {{"raw", points(3)}}), InvalidArgument);
  EXPECT_EQ(slurp(page), first);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u);
  const std::string message = test::message_of<Error>([&] { write_explorer(dir / "missing" / "p.html", {"a"}, {}, {{"raw", points(1)}}); });
  EXPECT_THAT(message, testing::HasSubstr("missing/p.html"));
}

}  // namespace
}  // namespace emb
