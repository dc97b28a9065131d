// ${ENV} expansion and --header parsing for the command line (app/cli_options).
#include "cli_options.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "error_of.hpp"
#include "fake_env.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::app {
namespace {

using testing::fake_env;

using testing::error_of;

// ---- scan_env_references ---------------------------------------------------

// What the scanner handed over, in order: "T:" literal text, "N:" a name.
std::vector<std::string> scanned(std::string_view text, std::optional<std::string>* problem = nullptr,
                                 const std::string& stop_at = "") {
  std::vector<std::string> pieces;
  const auto result = mcpauth::app::scan_env_references(
      text, [&](std::string_view literal) { pieces.push_back("T:" + std::string(literal)); },
      [&](const std::string& name) {
        pieces.push_back("N:" + name);
        return name != stop_at;
      });
  if (problem) *problem = result;
  return pieces;
}

TEST(ScanEnvReferences, HandsOverTextAndNamesInOrder) {
  std::optional<std::string> problem;
  EXPECT_EQ(scanned("a${X}b${Y}", &problem), (std::vector<std::string>{"T:a", "N:X", "T:b", "N:Y"}));
  EXPECT_FALSE(problem);
  EXPECT_EQ(scanned("plain $x {y}"), (std::vector<std::string>{"T:plain $x {y}"}));
  EXPECT_EQ(scanned(""), std::vector<std::string>{});
  EXPECT_EQ(scanned("${env:A}"), (std::vector<std::string>{"T:", "N:env:A"}));
}

TEST(ScanEnvReferences, NamesTheSyntaxProblem) {
  std::optional<std::string> problem;
  EXPECT_EQ(scanned("a${X", &problem), (std::vector<std::string>{"T:a"}));
  EXPECT_EQ(problem, "unterminated ${");
  EXPECT_EQ(scanned("${X}${}", &problem), (std::vector<std::string>{"T:", "N:X", "T:"}));
  EXPECT_EQ(problem, "empty ${}");
}

TEST(ScanEnvReferences, StopsWhenTheNameCallbackSaysSo) {
  std::optional<std::string> problem;
  // Stopped at X: the unterminated ${ after it is never reached.
  EXPECT_EQ(scanned("${X}b${", &problem, "X"), (std::vector<std::string>{"T:", "N:X"}));
  EXPECT_FALSE(problem);
}

// ---- seconds_option ----------------------------------------------------------

TEST(SecondsOption, MillisecondsWithinOneDay) {
  EXPECT_EQ(mcpauth::app::seconds_option(1.5, "--timeout"), std::chrono::milliseconds(1500));
  EXPECT_EQ(mcpauth::app::seconds_option(0.0004, "--timeout"), std::chrono::milliseconds(0));
  EXPECT_EQ(mcpauth::app::seconds_option(86400, "--timeout"), std::chrono::milliseconds(86'400'000));
  for (const double bad : {0.0, -1.0, 86400.5, std::numeric_limits<double>::quiet_NaN()}) {
    const Error e = error_of([&] { mcpauth::app::seconds_option(bad, "--head-timeout"); });
    EXPECT_EQ(e.code(), ErrorCode::usage);
    EXPECT_NE(std::string(e.what()).find("--head-timeout"), std::string::npos) << e.what();
  }
}

// ---- expand_env ------------------------------------------------------------

TEST(ExpandEnv, TextWithoutReferencesIsUnchanged) {
  EXPECT_EQ(expand_env("plain $text {x} $", fake_env({})), "plain $text {x} $");
  EXPECT_EQ(expand_env("", fake_env({})), "");
}

TEST(ExpandEnv, ReplacesOneVariable) {
  EXPECT_EQ(expand_env("${A}", fake_env({{"A", "alpha"}})), "alpha");
}

TEST(ExpandEnv, ReplacesSeveralVariablesAndKeepsAdjacentText) {
  const auto env = fake_env({{"A", "1"}, {"B", "two"}});
  EXPECT_EQ(expand_env("x${A}y${B}z", env), "x1ytwoz");
  EXPECT_EQ(expand_env("${A}${B}${A}", env), "1two1");
  EXPECT_EQ(expand_env("Bearer ${B}", env), "Bearer two");
}

TEST(ExpandEnv, ValuesAreNotExpandedAgain) {
  EXPECT_EQ(expand_env("${A}", fake_env({{"A", "${B}"}, {"B", "no"}})), "${B}");
}

TEST(ExpandEnv, EmptyValueIsAllowed) {
  EXPECT_EQ(expand_env("[${E}]", fake_env({{"E", ""}})), "[]");
}

TEST(ExpandEnv, UnsetVariableThrowsUsageNamingIt) {
  const Error e = error_of([] { expand_env("Bearer ${MISSING_TOKEN}", fake_env({{"OTHER", "x"}})); });
  EXPECT_EQ(e.code(), ErrorCode::usage);
  EXPECT_NE(std::string(e.what()).find("MISSING_TOKEN"), std::string::npos) << e.what();
}

TEST(ExpandEnv, UnterminatedReferenceThrowsUsage) {
  EXPECT_EQ(error_of([] { expand_env("Bearer ${TOKEN", fake_env({{"TOKEN", "t"}})); }).code(), ErrorCode::usage);
  EXPECT_EQ(error_of([] { expand_env("${", fake_env({})); }).code(), ErrorCode::usage);
}

TEST(ExpandEnv, EmptyNameThrowsUsage) {
  EXPECT_EQ(error_of([] { expand_env("${}", fake_env({})); }).code(), ErrorCode::usage);
}

// ---- parse_headers ---------------------------------------------------------

TEST(ParseHeaders, ExpandsEnvironmentInValue) {
  const auto headers = parse_headers({"Authorization: Bearer ${TOKEN}"}, fake_env({{"TOKEN", "abc123"}}));
  EXPECT_EQ(headers.get("Authorization"), "Bearer abc123");
}

TEST(ParseHeaders, TrimsSpacesAndTabsAroundValue) {
  const auto headers = parse_headers({"X-A:   spaced value \t", "X-B:\tv", "X-C:nospace"}, fake_env({}));
  EXPECT_EQ(headers.get("X-A"), "spaced value");
  EXPECT_EQ(headers.get("X-B"), "v");
  EXPECT_EQ(headers.get("X-C"), "nospace");
}

TEST(ParseHeaders, KeepsOrderAndDuplicates) {
  const auto headers = parse_headers({"X-A: 1", "X-B: 2", "X-A: 3"}, fake_env({}));
  EXPECT_EQ(headers.get_all("x-a"), (std::vector<std::string>{"1", "3"}));
  std::vector<std::string> names;
  for (const auto& h : headers) names.push_back(h.name);
  EXPECT_EQ(names, (std::vector<std::string>{"X-A", "X-B", "X-A"}));
}

TEST(ParseHeaders, ValueMayContainColons) {
  const auto headers = parse_headers({"X-Url: https://example.com:8443/x"}, fake_env({}));
  EXPECT_EQ(headers.get("X-Url"), "https://example.com:8443/x");
}

TEST(ParseHeaders, EmptyValueIsAllowed) {
  const auto headers = parse_headers({"X-Empty:"}, fake_env({}));
  EXPECT_EQ(headers.get("X-Empty"), "");
}

TEST(ParseHeaders, RejectsMissingColon) {
  EXPECT_EQ(error_of([] { parse_headers({"X-NoColon"}, fake_env({})); }).code(), ErrorCode::usage);
}

TEST(ParseHeaders, RejectsEmptyName) {
  EXPECT_EQ(error_of([] { parse_headers({": value"}, fake_env({})); }).code(), ErrorCode::usage);
}

TEST(ParseHeaders, RejectsNameWithSpaceOrSeparator) {
  EXPECT_EQ(error_of([] { parse_headers({"Bad Name: value"}, fake_env({})); }).code(), ErrorCode::usage);
  EXPECT_EQ(error_of([] { parse_headers({"Authorization : value"}, fake_env({})); }).code(), ErrorCode::usage);
  EXPECT_EQ(error_of([] { parse_headers({"X(y): value"}, fake_env({})); }).code(), ErrorCode::usage);
}

TEST(ParseHeaders, RejectsLineBreakInValueAfterExpansion) {
  EXPECT_EQ(error_of([] {
              parse_headers({"X-A: ${V}"}, fake_env({{"V", "a\r\nX-Injected: 1"}}));
            }).code(),
            ErrorCode::usage);
  EXPECT_EQ(error_of([] { parse_headers({"X-A: ${V}"}, fake_env({{"V", "a\nb"}})); }).code(), ErrorCode::usage);
  EXPECT_EQ(error_of([] { parse_headers({"X-A: ${V}"}, fake_env({{"V", "a\rb"}})); }).code(), ErrorCode::usage);
  EXPECT_EQ(error_of([] { parse_headers({std::string("X-A: a\0b", 8)}, fake_env({})); }).code(), ErrorCode::usage);
}

TEST(ParseHeaders, UnsetVariableInValueThrowsUsage) {
  EXPECT_EQ(error_of([] { parse_headers({"Authorization: Bearer ${NOPE}"}, fake_env({})); }).code(), ErrorCode::usage);
}

// ---- secrets never appear in error messages ---------------------------------

constexpr const char* kSecret = "sk-live-5ecret-DO-NOT-PRINT";

void expect_secret_not_in_error(const std::vector<std::string>& args, const EnvLookup& env) {
  const Error e = error_of([&] { parse_headers(args, env); });
  EXPECT_EQ(e.code(), ErrorCode::usage);
  const std::string what = e.what();
  EXPECT_EQ(what.find("5ecret"), std::string::npos) << "secret leaked into: " << what;
}

TEST(ParseHeadersSecrets, BadNameDoesNotShowValue) {
  expect_secret_not_in_error({std::string("Bad Name: Bearer ") + kSecret}, fake_env({}));
  expect_secret_not_in_error({std::string(": Bearer ") + kSecret}, fake_env({}));
}

TEST(ParseHeadersSecrets, LineBreakFromEnvironmentDoesNotShowValue) {
  expect_secret_not_in_error({"Authorization: Bearer ${T}"}, fake_env({{"T", std::string(kSecret) + "\r\n"}}));
  expect_secret_not_in_error({"Authorization: Bearer ${T}"}, fake_env({{"T", std::string(kSecret) + "\nx"}}));
}

TEST(ParseHeadersSecrets, UnsetVariableDoesNotShowLiteralPartOfValue) {
  expect_secret_not_in_error({std::string("Authorization: Bearer ") + kSecret + " ${UNSET}"}, fake_env({}));
}

// Known bugs (src/app/cli_options.cpp), disabled until fixed; see the report.
// A missing colon makes the whole argument the "name", and the first 40
// characters of it are put into the message.
TEST(ParseHeadersSecrets, MissingColonDoesNotShowValue) {
  expect_secret_not_in_error({std::string("Authorization Bearer ") + kSecret}, fake_env({}));
  expect_secret_not_in_error({std::string("Authorization=Bearer ") + kSecret}, fake_env({}));
}

// expand_env quotes the text before an unterminated "${", which is the
// literal part of the header value.
TEST(ParseHeadersSecrets, UnterminatedReferenceDoesNotShowValue) {
  expect_secret_not_in_error({std::string("Authorization: Bearer ") + kSecret + " ${TOKEN"},
                             fake_env({{"TOKEN", "t"}}));
}

// ---- parse_header_file (--header-file) ---------------------------------------

TEST(ParseHeaderFile, ReadsNameValueLinesSkippingBlanksAndComments) {
  const auto headers = mcpauth::app::parse_header_file(
      "# credentials for the example server\r\nAuthorization: Bearer ${TOKEN}\n\n   \n  # indented comment\n"
      "X-Custom-Header:custom-value\r\n  X-Indented: yes  \nX-Last: no newline",
      "h.txt", fake_env({{"TOKEN", "t0k"}}));
  EXPECT_EQ(headers.get("Authorization"), "Bearer t0k");
  EXPECT_EQ(headers.get("X-Custom-Header"), "custom-value");
  EXPECT_EQ(headers.get("X-Indented"), "yes");
  EXPECT_EQ(headers.get("X-Last"), "no newline");
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& h : headers) ++count;
  EXPECT_EQ(count, 4u);
  EXPECT_FALSE(mcpauth::app::parse_header_file("", "empty.txt", fake_env({})).contains("Authorization"));
}

TEST(ParseHeaderFile, ABadLineIsRefusedByNumberWithoutItsText) {
  const Error e = error_of([] {
    mcpauth::app::parse_header_file("X-Ok: 1\n# fine\nAuthorization Bearer ${T}\n", "/etc/h.txt",
                                    fake_env({{"T", kSecret}}));
  });
  EXPECT_EQ(e.code(), ErrorCode::usage);
  EXPECT_NE(std::string(e.what()).find("line 3 of /etc/h.txt"), std::string::npos);
  EXPECT_EQ(std::string(e.what()).find("Bearer"), std::string::npos);
  EXPECT_EQ(std::string(e.what()).find(kSecret), std::string::npos);
}

// ---- parse_authorize_params (--authorize-param) -------------------------------

TEST(ParseAuthorizeParams, SplitsAtTheFirstEqualsAndTrimsTheKey) {
  using Params = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(mcpauth::app::parse_authorize_params(
                {"access_type=offline", " audience =https://api.example/?a=b", "login_hint=", "prompt=consent"}),
            (Params{{"access_type", "offline"},
                    {"audience", "https://api.example/?a=b"},
                    {"login_hint", ""},
                    {"prompt", "consent"}}));
  EXPECT_TRUE(mcpauth::app::parse_authorize_params({}).empty());
}

TEST(ParseAuthorizeParams, RefusesAMissingKeyAndTheFlowsOwnParameters) {
  for (const char* bad : {"novalue", "=value", " =value"}) {
    const Error e = error_of([bad] { mcpauth::app::parse_authorize_params({"a=1", bad}); });
    EXPECT_EQ(e.code(), ErrorCode::usage) << bad;
    EXPECT_NE(std::string(e.what()).find("--authorize-param 2"), std::string::npos) << e.what();
  }
  for (const char* reserved :
       {"state=x", "code_challenge=x", "code_challenge_method=plain", "client_id=x",
        "redirect_uri=https://evil.example/", "response_type=token", "scope=all", "resource=https://other.example/"}) {
    const Error e = error_of([reserved] { mcpauth::app::parse_authorize_params({reserved}); });
    EXPECT_EQ(e.code(), ErrorCode::usage) << reserved;
    EXPECT_EQ(std::string(e.what()).rfind("--authorize-param: ", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace mcpauth::app
