// TextReader: the chunked reading behind read_jsonl/read_lines and
// `embetter encode`. Chunks concatenate to what a whole read gives, and an
// error in a later chunk still names the file and its line.
#include "io/text_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "embetter/error.h"
#include "io/atomic_file.h"
#include "support/test_support.h"

namespace emb {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

std::filesystem::path write(const std::string& name, const std::string& content) {
  const auto path = test::temp_dir() / name;
  io::write_file_atomic(path, content);
  return path;
}

// Every chunk of `size` texts, concatenated, and the number of chunks.
std::pair<JsonlColumns, std::size_t> read_in_chunks(io::TextReader reader, std::size_t size) {
  JsonlColumns all, chunk;
  std::size_t chunks = 0;
  while (reader.read(size, chunk)) {
    EXPECT_LE(chunk.texts.size(), size);
    all.texts.insert(all.texts.end(), chunk.texts.begin(), chunk.texts.end());
    all.labels.insert(all.labels.end(), chunk.labels.begin(), chunk.labels.end());
    ++chunks;
  }
  EXPECT_FALSE(reader.read(size, chunk));  // stays at the end
  EXPECT_EQ(reader.texts_read(), all.texts.size());
  return {all, chunks};
}

TEST(TextReader, ChunksOfJsonlConcatenateToTheWholeFile) {
  std::string content = "\xEF\xBB\xBF";
  for (int i = 0; i < 10; ++i) {
    content += "{\"text\": \"text " + std::to_string(i) + "\", \"meta\": {\"label\": " + std::to_string(i % 3) + "}}\r\n";
    if (i % 4 == 0) content += "  \n";  // blank lines are skipped, not counted as texts
  }
  const auto path = write("chunks.jsonl", content);
  const JsonlColumns whole = read_jsonl(path, "text", "meta.label");
  ASSERT_EQ(whole.texts.size(), 10u);
  for (std::size_t size : {1, 3, 10, 1000}) {
    const auto [all, chunks] = read_in_chunks(io::TextReader(path, "text", "meta.label"), size);
    EXPECT_EQ(all.texts, whole.texts) << size;
    EXPECT_EQ(all.labels, whole.labels) << size;
    EXPECT_EQ(chunks, (10 + size - 1) / size);
  }
}

TEST(TextReader, ChunksOfLinesKeepBlankLinesAsTexts) {
  const auto path = write("chunks.txt", "one\r\ntwo\n\nthree\nfour");
  const auto [all, chunks] = read_in_chunks(io::TextReader(path), 2);
  EXPECT_EQ(all.texts, read_lines(path));
  EXPECT_EQ(all.texts.size(), 5u);
  EXPECT_EQ(chunks, 3u);
}

TEST(TextReader, AnErrorInALaterChunkNamesFileAndLine) {
  std::string jsonl, lines;
  for (int i = 0; i < 12344; ++i) {
    jsonl += "{\"text\": \"fine\"}\n";
    lines += "fine\n";
  }
  const auto bad_json = write("late.jsonl", jsonl + "{\"text\": \"cut\n");
  io::TextReader json_reader(bad_json, "text");
  JsonlColumns chunk;
  EXPECT_TRUE(json_reader.read(10000, chunk));
  EXPECT_THAT([&] { json_reader.read(10000, chunk); },
              ThrowsMessage<InvalidArgument>(HasSubstr(bad_json.string() + ":12345: not valid JSON")));
  const auto bad_utf8 = write("late.txt", lines + "caf\xC3\n");
  io::TextReader line_reader(bad_utf8);
  EXPECT_TRUE(line_reader.read(10000, chunk));
  EXPECT_THAT([&] { line_reader.read(10000, chunk); },
              ThrowsMessage<InvalidArgument>(HasSubstr(bad_utf8.string() + ":12345: not valid UTF-8 (byte 4")));
}

TEST(TextReader, MissingFileOrFolderIsAModelLoadError) {
  EXPECT_THROW(io::TextReader(test::temp_dir() / "no-such.txt"), ModelLoadError);
  EXPECT_THROW(io::TextReader{test::temp_dir()}, ModelLoadError);
}

}  // namespace
}  // namespace emb
