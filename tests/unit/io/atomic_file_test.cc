#include "io/atomic_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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
    // The target, and the temporary file beside it unless it is unnamed (O_TMPFILE).
    EXPECT_EQ(files_in(dir), f.unnamed() ? 1u : 2u);
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

// Found by killing `embetter encode`: each kill -9 left x.npy.tmp-XXXXXX.
TEST(AtomicFile, AWriterKilledMidWayLeavesNothingAfterTheNextOne) {
  const auto dir = test::temp_dir() / "killed";
  std::filesystem::create_directories(dir);
  const auto target = dir / "x.npy";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    AtomicFile f(target);
    f.stream() << std::string(1 << 20, 'x') << std::flush;
    ::raise(SIGKILL);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  // What a writer without unnamed files, killed between naming and renaming,
  // leaves: swept by the next writer of the same target, which ours is not.
  const auto stale = dir / ("x.npy.tmp-" + std::to_string(child) + "-abc123");
  const auto other = dir / "y.npy.tmp-1-abc123";  // another target's: left alone
  write_file_atomic(stale, "stale");
  write_file_atomic(other, "other");
  write_file_atomic(target, "done");
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(other));
  EXPECT_EQ(read_file(target), "done");
  EXPECT_EQ(files_in(dir), 2u);
}

TEST(AtomicFile, PreparedFilesCommitTogether) {
  const auto dir = test::temp_dir() / "group";
  std::filesystem::create_directories(dir);
  AtomicFile a(dir / "a.bin"), b(dir / "b.bin");
  a.stream() << "A";
  b.stream() << "B";
  a.prepare();
  b.prepare();
  EXPECT_FALSE(std::filesystem::exists(dir / "a.bin"));
  a.commit();
  b.commit();
  EXPECT_EQ(read_file(dir / "a.bin"), "A");
  EXPECT_EQ(read_file(dir / "b.bin"), "B");
  EXPECT_EQ(files_in(dir), 2u);
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
