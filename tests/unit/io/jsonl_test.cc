#include "embetter/jsonl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "embetter/error.h"
#include "io/atomic_file.h"
#include "support/test_support.h"

namespace emb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::ThrowsMessage;

std::filesystem::path write(const std::string& name, const std::string& content) {
  const auto path = test::temp_dir() / name;
  io::write_file_atomic(path, content);
  return path;
}

void expect_invalid(const std::filesystem::path& path, const std::string& fragment, const std::string& label = "") {
  EXPECT_THAT([&] { read_jsonl(path, "text", label); }, ThrowsMessage<InvalidArgument>(HasSubstr(fragment)));
}

TEST(Jsonl, ReadsTextsAndLabelsOfEveryScalarKind) {
  const auto path = write("data.jsonl",
                          "\xEF\xBB\xBF{\"text\": \"héllo\", \"label\": \"pos\"}\r\n"
                          "\n"
                          "{\"label\": 1, \"text\": \"two\"}\n"
                          "   \n"
                          "{\"text\": \"\", \"label\": 2.5}\n"
                          "{\"text\": \"four\", \"label\": true}");
  const JsonlColumns cols = read_jsonl(path, "text", "label");
  EXPECT_THAT(cols.texts, ElementsAre("héllo", "two", "", "four"));
  EXPECT_THAT(cols.labels, ElementsAre("pos", "1", "2.5", "true"));
  EXPECT_THAT(read_jsonl(path, "text").labels, IsEmpty());
}

TEST(Jsonl, DottedPathsAndKeysWithDots) {
  const auto path = write("nested.jsonl",
                          R"({"meta": {"body": "a"}, "cats": {"new-dataset": 1, "x.y": "dotted"}})"
                          "\n"
                          R"({"meta": {"body": "b"}, "cats": {"new-dataset": 0, "x.y": "again"}})");
  EXPECT_THAT(read_jsonl(path, "meta.body", "cats.new-dataset").labels, ElementsAre("1", "0"));
  EXPECT_THAT(read_jsonl(path, "cats.x.y").texts, ElementsAre("dotted", "again"));
}

TEST(Jsonl, ErrorsNameFileLineAndField) {
  const auto missing = write("missing.jsonl", "{\"text\": \"a\"}\n{\"body\": \"b\", \"n\": 1}\n");
  expect_invalid(missing, missing.string() + ":2: no field 'text' (keys: body, n)");
  expect_invalid(write("number.jsonl", "{\"text\": 5}\n"), "number.jsonl:1: field 'text' is number; expected a string");
  expect_invalid(write("broken.jsonl", "{\"text\": \"a\"}\n{\"text\": \"a\"}\n{\"text\": \"a\n"),
                 "broken.jsonl:3: not valid JSON");
  expect_invalid(write("utf8.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"caf\xE9\"}\n"),
                 "utf8.jsonl:2: not valid UTF-8 (byte 14 of the line)");
  expect_invalid(write("array.jsonl", "[1, 2]\n"), "array.jsonl:1: expected a JSON object, found array");
  expect_invalid(write("nolabel.jsonl", "{\"text\": \"a\", \"label\": null}\n"),
                 "nolabel.jsonl:1: field 'label' is null; expected a string, number or boolean label", "label");
  expect_invalid(write("empty.jsonl", ""), "empty.jsonl: no records");
  expect_invalid(write("blank.jsonl", "\n  \n"), "blank.jsonl: no records");
}

TEST(ReadLines, SplitsLinesKeepingBlankOnes) {
  EXPECT_THAT(read_lines(write("a.txt", "one\r\ntwo\n\nthree\n")), ElementsAre("one", "two", "", "three"));
  EXPECT_THAT(read_lines(write("b.txt", "no newline at end")), ElementsAre("no newline at end"));
}

TEST(ReadLines, RefusesEmptyFilesAndInvalidUtf8) {
  const auto empty = write("empty.txt", "");
  EXPECT_THAT([&] { read_lines(empty); },
              ThrowsMessage<InvalidArgument>(HasSubstr(empty.string() + ": the file is empty")));
  const auto bad = write("bad.txt", "fine\n\xFF\xFE\n");
  EXPECT_THAT([&] { read_lines(bad); },
              ThrowsMessage<InvalidArgument>(HasSubstr(bad.string() + ":2: not valid UTF-8")));
}

}  // namespace
}  // namespace emb
