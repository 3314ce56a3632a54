#include <gtest/gtest.h>

#include "embetter/error.h"
#include "embetter/labels.h"

namespace emb {
namespace {

TEST(LabelEncoder, StringClassesSortLexicographically) {
  LabelEncoder enc;
  auto y = enc.fit_transform({"pos", "neg", "pos", "neutral"});
  EXPECT_EQ(enc.classes(), (std::vector<std::string>{"neg", "neutral", "pos"}));
  EXPECT_EQ(y, (std::vector<std::int32_t>{2, 0, 2, 1}));
  EXPECT_FALSE(enc.numeric());
}

TEST(LabelEncoder, IntegerClassesSortNumerically) {
  LabelEncoder enc;
  enc.fit({"10", "2", "-1", "2"});
  EXPECT_EQ(enc.classes(), (std::vector<std::string>{"-1", "2", "10"}));
  EXPECT_TRUE(enc.numeric());
}

TEST(LabelEncoder, UnknownLabelIsNamed) {
  LabelEncoder enc;
  enc.fit({"a", "b"});
  try {
    enc.transform({"a", "zzz"});
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown label 'zzz'"), std::string::npos) << e.what();
  }
}

TEST(LabelEncoder, EmptyAndUnfitted) {
  LabelEncoder enc;
  EXPECT_THROW(enc.fit({}), InvalidArgument);
  EXPECT_THROW(enc.transform({"a"}), NotFittedError);
}

}  // namespace
}  // namespace emb
