// core::parse_json: the one bounded parser for network and file input.
#include "mcpauth/core/json.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mcpauth::core {
namespace {

std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

std::string nested_objects(std::size_t depth) {
  std::string text;
  for (std::size_t i = 0; i < depth; ++i) text += "{\"a\":";
  text += "1";
  text += std::string(depth, '}');
  return text;
}

ErrorCode code_of(std::string_view text, const JsonLimits& limits, std::string* message = nullptr) {
  try {
    parse_json(text, limits, ErrorCode::invalid_metadata, "the metadata at https://as.example");
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "no error";
  return ErrorCode::usage;
}

TEST(ParseJson, AcceptsDepthExactlyAtTheBound) {
  const JsonLimits limits{1 << 20, 5};
  EXPECT_TRUE(parse_json(nested_arrays(5), limits, ErrorCode::protocol, "x").is_array());
  EXPECT_TRUE(parse_json(nested_objects(5), limits, ErrorCode::protocol, "x").is_object());
  EXPECT_FALSE(parse_json_or_discarded(nested_arrays(5), limits).is_discarded());
  // Scalars have no depth: a bare value is accepted even with a bound of 1.
  EXPECT_EQ(parse_json("42", JsonLimits{16, 1}, ErrorCode::protocol, "x"), 42);
}

TEST(ParseJson, RefusesOneLevelOverTheBoundWithTheCallersCode) {
  const JsonLimits limits{1 << 20, 5};
  std::string message;
  EXPECT_EQ(code_of(nested_arrays(6), limits, &message), ErrorCode::invalid_metadata);
  EXPECT_NE(message.find("the metadata at https://as.example is JSON nested deeper than 5 levels"), std::string::npos)
      << message;
  EXPECT_EQ(code_of(nested_objects(6), limits), ErrorCode::invalid_metadata);
  EXPECT_TRUE(parse_json_or_discarded(nested_arrays(6), limits).is_discarded());
  EXPECT_TRUE(parse_json_or_discarded<nlohmann::ordered_json>(nested_objects(6), limits).is_discarded());
}

// The document of issue 11: 120 KB, nested 60,000 levels, under the size
// cap. Before the bound it crashed every command that read it.
TEST(ParseJson, SurvivesSixtyThousandLevelsUnderTheSizeCap) {
  const std::string hostile = nested_arrays(60'000);
  ASSERT_EQ(hostile.size(), 120'000u);
  std::string message;
  EXPECT_EQ(code_of(hostile, JsonLimits{256 * 1024, 64}, &message), ErrorCode::invalid_metadata);
  EXPECT_NE(message.find("nested deeper than 64 levels"), std::string::npos) << message;
  EXPECT_TRUE(parse_json_or_discarded(nested_objects(60'000), JsonLimits{1 << 20, 64}).is_discarded());
  // Unclosed: the refusal comes before the parser notices the missing ends.
  EXPECT_EQ(code_of(std::string(100'000, '{'), JsonLimits{1 << 20, 64}), ErrorCode::invalid_metadata);
}

TEST(ParseJson, RefusesTextOverTheByteBoundBeforeParsing) {
  const std::string big = "\"" + std::string(2 * 1024 * 1024, 'a') + "\"";
  std::string message;
  EXPECT_EQ(code_of(big, JsonLimits{1 << 20, 64}, &message), ErrorCode::invalid_metadata);
  EXPECT_NE(message.find("larger than the limit of 1048576 bytes"), std::string::npos) << message;
  EXPECT_TRUE(parse_json_or_discarded(big, JsonLimits{1 << 20, 64}).is_discarded());
  // Exactly at the bound is fine.
  EXPECT_EQ(parse_json("\"abc\"", JsonLimits{5, 64}, ErrorCode::protocol, "x"), "abc");
  EXPECT_EQ(code_of("\"abcd\"", JsonLimits{5, 64}), ErrorCode::invalid_metadata);
}

TEST(ParseJson, MalformedTextNamesTheOffsetButNeverQuotesTheText) {
  std::string message;
  EXPECT_EQ(code_of("{\"secret\": \"s3cr3t-value", JsonLimits{}, &message), ErrorCode::invalid_metadata);
  EXPECT_NE(message.find("is not valid JSON (parse error"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cr3t"), std::string::npos) << message;
  EXPECT_EQ(code_of("1e400", JsonLimits{}), ErrorCode::invalid_metadata);
  EXPECT_TRUE(parse_json_or_discarded("{", JsonLimits{}).is_discarded());
  EXPECT_TRUE(parse_json_or_discarded("", JsonLimits{}).is_discarded());
}

TEST(ParseJson, OrderedJsonKeepsKeyOrder) {
  const auto value =
      parse_json<nlohmann::ordered_json>("{\"b\":1,\"a\":2}", JsonLimits{}, ErrorCode::usage, "the config");
  EXPECT_EQ(value.dump(), "{\"b\":1,\"a\":2}");
}

}  // namespace
}  // namespace mcpauth::core
