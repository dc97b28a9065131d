// The command's hints (app/error_hints): rendered from an error's code and
// typed detail, in the command's words, beside the library's neutral message.
#include "error_hints.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace mcpauth::app {
namespace {

Error with(Remedies remedies) {
  return Error(ErrorCode::consent_timeout, "nobody completed the authorization", "https://as.example", 0,
               {.remedies = remedies});
}

TEST(ErrorHints, NoRemediesNoHint) {
  const Error e(ErrorCode::connection, "cannot connect to https://mcp.example/mcp");
  EXPECT_EQ(error_hint(e, {"https://mcp.example/mcp", false}), "");
  EXPECT_EQ(error_report(e), "mcpauth: cannot connect to https://mcp.example/mcp\n");
  EXPECT_EQ(error_with_hint(e), "cannot connect to https://mcp.example/mcp");
}

TEST(ErrorHints, EachRemedyNamesTheCommandsOption) {
  const HintContext context{"https://mcp.example/mcp", false};
  EXPECT_NE(error_hint(with({Remedy::static_token}), context).find("--header \"Authorization: Bearer"),
            std::string::npos);
  EXPECT_NE(error_hint(with({Remedy::pre_register_client}), context).find("--client-id"), std::string::npos);
  EXPECT_NE(error_hint(with({Remedy::open_url_manually}), context).find("--no-browser"), std::string::npos);
  EXPECT_NE(
      error_hint(with({Remedy::use_device_grant}), context).find("`mcpauth login https://mcp.example/mcp --device`"),
      std::string::npos);
  EXPECT_EQ(error_hint(with({Remedy::use_browser_grant}), context),
            "log in without --device: `mcpauth login https://mcp.example/mcp`");
  EXPECT_EQ(error_hint(with({Remedy::interactive_consent}), context),
            "run `mcpauth login https://mcp.example/mcp` first");
  EXPECT_EQ(error_hint(with({Remedy::retry}), context), "run the command again");
}

TEST(ErrorHints, ADeviceLoginIsRetriedWithDevice) {
  EXPECT_EQ(error_hint(with({Remedy::retry}), {"work", true}), "run `mcpauth login work --device` again");
  EXPECT_EQ(error_hint(with({Remedy::retry}), {"", true}), "run `mcpauth login URL --device` again")
      << "without a target the hint still shows the command's shape";
}

TEST(ErrorHints, SeveralRemediesAreOneSentenceInAFixedOrder) {
  const std::string hint = error_hint(with({Remedy::pre_register_client, Remedy::retry}), {"x", false});
  EXPECT_EQ(hint.rfind("run the command again; ", 0), 0u) << hint;
  EXPECT_NE(hint.find("--client-id"), std::string::npos) << hint;
}

TEST(ErrorHints, TheReportIsTheMessageThenTheHintEachOnItsOwnLine) {
  const Error e(ErrorCode::unauthorized, "POST https://mcp.example/mcp was refused with HTTP 401\nforged line",
                "https://mcp.example/mcp", 401, {.remedies = {Remedy::static_token}});
  const std::string report = error_report(e, {"https://mcp.example/mcp", false});
  EXPECT_EQ(std::count(report.begin(), report.end(), '\n'), 2) << report;
  EXPECT_EQ(report.rfind("mcpauth: POST https://mcp.example/mcp was refused with HTTP 401\\nforged line\n", 0), 0u)
      << "a server's text cannot start a line of its own: " << report;
  EXPECT_NE(report.find("\nmcpauth: hint: if the server takes a static token, pass it with --header"),
            std::string::npos)
      << report;
  const std::string line = error_with_hint(e);
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  EXPECT_NE(line.find(" (hint: if the server takes a static token"), std::string::npos) << line;
}

TEST(ErrorHints, ATargetIsShownTerminalSafe) {
  const std::string hint = error_hint(with({Remedy::interactive_consent}), {"evil\x1b[2Jname", false});
  EXPECT_EQ(hint.find('\x1b'), std::string::npos) << hint;
}

}  // namespace
}  // namespace mcpauth::app
