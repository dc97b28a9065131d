// Plain `mcpauth tools`: the signature of each tool, from real JSON Schemas
// (as the TypeScript SDK's zod conversion, Python's pydantic and hand-written
// servers send them).
#include <gtest/gtest.h>

#include <sstream>

#include "output.hpp"
#include "tool_signature.hpp"

namespace mcpauth::app {
namespace {

using Json = mcp::Json;

mcp::Tool tool(const std::string& name, const char* schema, std::optional<std::string> description = std::nullopt) {
  mcp::Tool t;
  t.name = name;
  t.description = std::move(description);
  t.input_schema = Json::parse(schema);
  return t;
}

struct SignatureVector {
  const char* what;
  const char* schema;
  const char* signature;
};

class ToolSignature : public ::testing::TestWithParam<SignatureVector> {};

TEST_P(ToolSignature, ReadsTheSchema) {
  const auto& v = GetParam();
  EXPECT_EQ(tool_signature(tool("f", v.schema)), v.signature) << v.what;
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, ToolSignature,
    ::testing::Values(
        // The TypeScript SDK (zod-to-json-schema), as tests/peers' echo.
        SignatureVector{"zod, one required string",
                        R"({"type":"object","properties":{"text":{"type":"string","description":"What to echo"}},
                            "required":["text"],"additionalProperties":false,
                            "$schema":"http://json-schema.org/draft-07/schema#"})",
                        "f(text: string)"},
        SignatureVector{"required first, in the schema's order; then the optional ones",
                        R"({"type":"object","properties":{"a":{"type":"number"},"limit":{"type":"integer"},
                            "z":{"type":"boolean"}},"required":["z","a"]})",
                        "f(z: boolean, a: number, limit?: integer)"},
        SignatureVector{"no parameters", R"({"type":"object"})", "f()"},
        SignatureVector{"empty properties", R"({"type":"object","properties":{}})", "f()"},
        SignatureVector{"arrays, nested arrays and arrays of objects",
                        R"({"type":"object","properties":{"tags":{"type":"array","items":{"type":"string"}},
                            "grid":{"type":"array","items":{"type":"array","items":{"type":"number"}}},
                            "rows":{"type":"array","items":{"type":"object","properties":{"x":{}}}},
                            "any":{"type":"array"}},"required":["tags","grid","rows","any"]})",
                        "f(tags: string[], grid: number[][], rows: object[], any: any[])"},
        SignatureVector{"an enum and a const",
                        R"({"type":"object","properties":{"order":{"type":"string","enum":["asc","desc"]},
                            "kind":{"const":"issue"}},"required":["order"]})",
                        R"(f(order: "asc"|"desc", kind?: "issue"))"},
        SignatureVector{"nested objects stay object",
                        R"({"type":"object","properties":{"filter":{"type":"object","properties":
                            {"owner":{"type":"string"}},"required":["owner"]}},"required":["filter"]})",
                        "f(filter: object)"},
        // pydantic (the Python SDK): Optional[str] is anyOf with null, a $ref'd model.
        SignatureVector{"pydantic Optional and $ref",
                        R"({"type":"object","title":"searchArguments","properties":{
                            "query":{"title":"Query","type":"string"},
                            "page":{"anyOf":[{"type":"integer"},{"type":"null"}],"default":null,"title":"Page"},
                            "point":{"$ref":"#/$defs/Point"}},"required":["query"],
                            "$defs":{"Point":{"type":"object","properties":{"x":{"type":"number"}}}}})",
                        "f(query: string, page?: integer|null, point?: any)"},
        SignatureVector{"a type list, and a union of arrays bracketed",
                        R"({"type":"object","properties":{"id":{"type":["string","integer"]},
                            "ids":{"type":"array","items":{"oneOf":[{"type":"string"},{"type":"number"}]}}},
                            "required":["id"]})",
                        "f(id: string|integer, ids?: (string|number)[])"},
        SignatureVector{"untyped shapes", R"({"type":"object","properties":{"o":{"properties":{}},"x":{}}})",
                        "f(o?: object, x?: any)"},
        SignatureVector{"a required name that is not a property is not invented",
                        R"({"type":"object","properties":{"a":{"type":"string"}},"required":["ghost","a","a"]})",
                        "f(a: string)"},
        SignatureVector{"a long enum is cut",
                        R"({"type":"object","properties":{"n":{"enum":[1,2,3,4,5,6,7,8,9,10]}},"required":["n"]})",
                        "f(n: 1|2|3|4|5|6|7|8|...)"}));

TEST(ToolSignature, ServerTextIsSanitized) {
  const auto t = tool("evil\x1b[2J", R"({"type":"object","properties":{"a\nb":{"type":"string","enum":["\u001b"]}}})");
  const std::string signature = tool_signature(t);
  EXPECT_EQ(signature.find('\x1b'), std::string::npos) << signature;
  EXPECT_EQ(signature.find('\n'), std::string::npos) << signature;
}

TEST(ToolSignature, ASchemaThatIsNotAnObjectIsNoParameters) {
  EXPECT_EQ(tool_signature(tool("f", "[]")), "f()");
  EXPECT_EQ(tool_signature(tool("f", R"({"properties":[1]})")), "f()");
  EXPECT_EQ(schema_type(Json("string")), "any");
}

TEST(ToolSignature, ADeepSchemaEndsInAny) {
  Json schema = {{"type", "string"}};
  for (int i = 0; i < 20; ++i) schema = {{"type", "array"}, {"items", schema}};
  const std::string type = schema_type(schema);
  EXPECT_EQ(type.substr(0, 3), "any") << type;
  EXPECT_LT(type.size(), 40u) << type;
}

// A hostile schema cannot make the listing slow or endless: a type list of
// arrays at every level (each "array" reads the same items again: 8^8 reads
// in full), a union of 100,000 options, a huge required list and a thousand
// parameters.
TEST(ToolSignature, AHostileSchemaIsReadWithinBounds) {
  Json options = Json::array();
  for (int i = 0; i < 100'000; ++i) options.push_back(Json{{"const", i}});
  EXPECT_EQ(schema_type(Json{{"anyOf", options}}), "0|1|2|3|4|5|6|7|...");

  Json arrays = {{"type", "string"}};
  for (int level = 0; level < 8; ++level) {
    arrays = {{"type", Json::array({"array", "array", "array", "array", "array", "array", "array", "array"})},
              {"items", arrays}};
  }
  EXPECT_LT(schema_type(arrays).size(), 20000u);

  Json properties = Json::object();
  Json required = Json::array();
  for (int i = 0; i < 1000; ++i) properties["p" + std::to_string(1000 + i)] = {{"type", "string"}};
  for (int i = 0; i < 100'000; ++i) required.push_back("p1000");
  const std::string signature =
      tool_signature(tool("f", Json{{"properties", properties}, {"required", required}}.dump().c_str()));
  EXPECT_EQ(signature.rfind("f(p1000: string, p1001?: string, ", 0), 0u) << signature;
  EXPECT_EQ(signature.substr(signature.size() - 6), ", ...)") << signature;
  EXPECT_LT(signature.size(), 800u) << signature;
}

TEST(ToolLine, TheDescriptionIsItsFirstLineCapped) {
  EXPECT_EQ(tool_line(tool("echo", R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})",
                           "Echo the text back\nSecond paragraph.")),
            "echo(text: string) — Echo the text back");
  EXPECT_EQ(tool_line(tool("t", "{}", "\n\n  Starts late\nmore")), "t() — Starts late");
  EXPECT_EQ(tool_line(tool("t", "{}", "Windows\r\nlines")), "t() — Windows");
  EXPECT_EQ(tool_line(tool("t", "{}", "lone\rCR")), "t() — lone\\rCR") << "a CR is shown, never obeyed";
  EXPECT_EQ(tool_line(tool("t", "{}", "")), "t()");
  EXPECT_EQ(tool_line(tool("t", "{}")), "t()");
  const std::string line = tool_line(tool("t", "{}", std::string(1000, 'x')));
  EXPECT_LT(line.size(), 320u);
  EXPECT_EQ(line.substr(line.size() - 3), "...");
}

TEST(PrintTools, PlainIsOneSignatureLinePerToolAndJsonIsUnchanged) {
  auto echo = tool("echo", R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})",
                   "Echo the text back");
  echo.raw = {{"name", "echo"}, {"inputSchema", echo.input_schema}};
  std::ostringstream plain;
  print_tools(plain, {echo, tool("ping", "{}")}, false);
  EXPECT_EQ(plain.str(), "echo(text: string) — Echo the text back\nping()\n");
  std::ostringstream json;
  print_tools(json, {echo}, true);
  EXPECT_EQ(Json::parse(json.str()), Json::array({echo.raw}));
}

}  // namespace
}  // namespace mcpauth::app
