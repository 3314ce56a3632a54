#include "io/atomic_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "embetter/error.h"
#include "support/test_support.h"

namespace emb::io {
namespace {

using ::testing::HasSubstr;

std::size_t files_in(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

TEST(AtomicFile, TargetKeepsOldContentUntilCommit) {
  const auto dir = test::temp_dir() / "commit";
  std::filesystem::create_directories(dir);
  const auto target = dir / "out.bin";
  write_file_atomic(target, "old");
  {
    AtomicFile f(target);
    f.stream() << "new content";
    EXPECT_EQ(read_file(target), "old");
    EXPECT_EQ(files_in(dir), 2u);  // the target and the temporary file beside it
    f.commit();
  }
  EXPECT_EQ(read_file(target), "new content");
  EXPECT_EQ(files_in(dir), 1u);
}

TEST(AtomicFile, WithoutCommitNothingIsLeft) {
  const auto dir = test::temp_dir() / "abandon";
  std::filesystem::create_directories(dir);
  {
    AtomicFile f(dir / "never.bin");
    f.stream() << "partial";
  }
  EXPECT_EQ(files_in(dir), 0u);
}

TEST(AtomicFile, BinaryBytesSurviveUnchanged) {
  const auto target = test::temp_dir() / "binary.bin";
  const std::string bytes("a\0b\r\n\xff", 6);
  write_file_atomic(target, bytes);
  EXPECT_EQ(read_file(target), bytes);
}

TEST(AtomicFile, MissingFolderIsAnErrorNamingTheTarget) {
  const auto target = test::temp_dir() / "no-such-folder" / "x.bin";
  EXPECT_THAT([&] { write_file_atomic(target, "x"); }, ::testing::ThrowsMessage<Error>(HasSubstr(target.string())));
}

TEST(ReadFile, ErrorsNameTheFile) {
  const auto missing = test::temp_dir() / "missing.txt";
  EXPECT_THAT([&] { read_file(missing); },
              ::testing::ThrowsMessage<ModelLoadError>(HasSubstr(missing.string() + ": no such file")));
  EXPECT_THAT([&] { read_file(test::temp_dir()); },
              ::testing::ThrowsMessage<ModelLoadError>(HasSubstr("is a directory")));
}

TEST(ReadFile, EmptyFileIsEmptyString) {
  const auto path = test::temp_dir() / "empty";
  write_file_atomic(path, "");
  EXPECT_EQ(read_file(path), "");
}

}  // namespace
}  // namespace emb::io
