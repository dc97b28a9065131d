// What the Bridge writes between a handshake-era client and a server of the
// modern era only (internal mcp::detail, era_translation.hpp), and the
// answers its threads wait for (awaited_answers.hpp).
#include "../../src/mcp/era_translation.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "../../src/mcp/awaited_answers.hpp"

namespace mcpauth::mcp::detail {
namespace {

namespace rpc = core::jsonrpc;

constexpr const char* kVersionKey = "io.modelcontextprotocol/protocolVersion";
constexpr const char* kClientInfoKey = "io.modelcontextprotocol/clientInfo";
constexpr const char* kCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities";

Json host_initialize(const std::string& version) {
  return Json{{"protocolVersion", version},
              {"capabilities", {{"elicitation", Json::object()}, {"roots", {{"listChanged", true}}}}},
              {"clientInfo", {{"name", "host"}, {"version", "9"}, {"websiteUrl", "https://host.example"}}}};
}

ServerInfo discovered() {
  ServerInfo server;
  server.protocol_version = "2026-07-28";
  server.implementation = Implementation{"modern", "2", "Modern"};
  server.capabilities = Json{{"tools", {{"listChanged", true}}},
                             {"resources", {{"subscribe", true}, {"listChanged", true}}},
                             {"prompts", Json::object()},
                             {"logging", Json::object()}};
  server.instructions = "be nice";
  return server;
}

TEST(EraTranslation, TheClientIsAnsweredInTheVersionItOffered) {
  EXPECT_EQ(handshake_version_for("2025-06-18"), "2025-06-18");
  EXPECT_EQ(handshake_version_for("2024-11-05"), "2024-11-05");
  EXPECT_EQ(handshake_version_for("2025-11-25"), "2025-11-25");
  EXPECT_EQ(handshake_version_for("2024-01-01"), "2025-11-25") << "unknown: the newest handshake version";
  EXPECT_EQ(handshake_version_for("2026-07-28"), "2025-11-25") << "the modern era has no handshake";
  EXPECT_EQ(handshake_version_for(""), "2025-11-25");
  EXPECT_EQ(offered_version(host_initialize("2025-03-26")), "2025-03-26");
  EXPECT_EQ(offered_version(Json{{"protocolVersion", 7}}), "");
  EXPECT_EQ(offered_version(Json::array()), "");
}

TEST(EraTranslation, TheInitializeResultComesFromTheDiscoverResult) {
  const Json result = handshake_initialize_result(host_initialize("2025-06-18"), discovered());
  EXPECT_EQ(result["protocolVersion"], "2025-06-18");
  EXPECT_EQ(result["serverInfo"], (Json{{"name", "modern"}, {"version", "2"}, {"title", "Modern"}}));
  EXPECT_EQ(result["instructions"], "be nice");
  // list_changed comes from the listen stream; resources/subscribe is not translated, so not promised.
  EXPECT_EQ(result["capabilities"], (Json{{"tools", {{"listChanged", true}}},
                                          {"resources", {{"listChanged", true}}},
                                          {"prompts", Json::object()},
                                          {"logging", Json::object()}}));
  ServerInfo bare;
  bare.capabilities = Json::array();
  const Json minimal = handshake_initialize_result(Json::object(), bare);
  EXPECT_EQ(minimal["capabilities"], Json::object());
  EXPECT_FALSE(minimal.contains("instructions"));
}

TEST(EraTranslation, TheListenFilterAsksForEveryListChangedTheServerOffers) {
  EXPECT_EQ(listen_filter(discovered().capabilities),
            (Json{{"toolsListChanged", true}, {"resourcesListChanged", true}}));
  EXPECT_EQ(listen_filter(Json{{"prompts", {{"listChanged", true}}}, {"tools", {{"listChanged", false}}}}),
            (Json{{"promptsListChanged", true}}));
  EXPECT_EQ(listen_filter(Json{{"tools", {{"listChanged", "yes"}}}}), Json::object()) << "only a true boolean";
  EXPECT_EQ(listen_filter(Json::array()), Json::object());
  EXPECT_TRUE(listen_bookkeeping("notifications/subscriptions/acknowledged"));
  EXPECT_FALSE(listen_bookkeeping("notifications/tools/list_changed"));
}

TEST(EraTranslation, AListenNotificationLosesItsSubscriptionId) {
  Json only{{"_meta", {{"io.modelcontextprotocol/subscriptionId", 7}}}};
  to_handshake_notification(only);
  EXPECT_EQ(only, Json::object());
  Json more{{"uri", "file:///a"}, {"_meta", {{"io.modelcontextprotocol/subscriptionId", "s"}, {"k", 1}}}};
  to_handshake_notification(more);
  EXPECT_EQ(more, (Json{{"uri", "file:///a"}, {"_meta", {{"k", 1}}}}));
  Json none = nullptr;
  to_handshake_notification(none);
  EXPECT_TRUE(none.is_null());
}

TEST(EraTranslation, EveryMessageCarriesTheMetaTheClientsInitializeImplies) {
  const Json params = modern_params(Json{{"name", "echo"}, {"_meta", {{"progressToken", 5}}}}, "2026-07-28",
                                    host_initialize("2025-06-18"), Implementation{"mcpauth", "1", std::nullopt});
  EXPECT_EQ(params["name"], "echo");
  const Json& meta = params["_meta"];
  EXPECT_EQ(meta["progressToken"], 5) << "the client's own _meta is kept";
  EXPECT_EQ(meta[kVersionKey], "2026-07-28");
  EXPECT_EQ(meta[kClientInfoKey], host_initialize("x")["clientInfo"]) << "as the client declared it";
  EXPECT_EQ(meta[kCapabilitiesKey], host_initialize("x")["capabilities"]);

  const Json fallback = modern_params(nullptr, "2026-07-28", Json::object(), Implementation{"mcpauth", "1", {}});
  EXPECT_EQ(fallback["_meta"][kClientInfoKey], (Json{{"name", "mcpauth"}, {"version", "1"}}));
  EXPECT_EQ(fallback["_meta"][kCapabilitiesKey], Json::object());
}

TEST(EraTranslation, NotificationsWithoutMeaningToAModernServerAreDropped) {
  EXPECT_TRUE(dropped_notification("notifications/initialized"));
  EXPECT_TRUE(dropped_notification("notifications/roots/list_changed"));
  EXPECT_FALSE(dropped_notification("notifications/cancelled"));
  EXPECT_FALSE(dropped_notification("notifications/progress"));
}

TEST(EraTranslation, AResultLosesItsResultType) {
  Json result{{"resultType", "complete"}, {"content", Json::array()}};
  to_handshake_result(result);
  EXPECT_EQ(result, (Json{{"content", Json::array()}}));
  Json not_object = Json::array();
  to_handshake_result(not_object);
  EXPECT_EQ(not_object, Json::array());
}

TEST(AwaitedAnswers, AnAnswerReachesItsWaiterOnly) {
  AwaitedAnswers awaited;
  EXPECT_FALSE(awaited.take(rpc::Response{"x", Json::object()})) << "nobody waits for it";
  awaited.expect("a");
  EXPECT_FALSE(awaited.take(rpc::Notification{"notifications/progress", nullptr}));
  std::thread answerer([&] { EXPECT_TRUE(awaited.take(rpc::Response{"a", Json{{"ok", true}}})); });
  EXPECT_EQ(awaited.await("a", std::nullopt, "ping", "u"), (Json{{"ok", true}}));
  answerer.join();
  EXPECT_FALSE(awaited.take(rpc::Response{"a", Json::object()})) << "taken once";
}

TEST(AwaitedAnswers, AnErrorAnswerIsThrownWithItsCodeAndData) {
  AwaitedAnswers awaited;
  awaited.expect(7);
  ASSERT_TRUE(awaited.take(rpc::ErrorResponse{7, -32601, "no such method", Json{{"why", "x"}}}));
  try {
    (void)awaited.await(7, std::chrono::milliseconds(0), "roots/list", "u");
    FAIL() << "no RpcError";
  } catch (const RpcError& e) {
    EXPECT_EQ(e.rpc_code(), -32601);
    EXPECT_EQ(std::string(e.what()), "no such method");
    EXPECT_EQ(e.data(), (Json{{"why", "x"}}));
  }
}

TEST(AwaitedAnswers, NoAnswerMeansATimeoutOrTheEnd) {
  AwaitedAnswers awaited;
  awaited.expect(1);
  try {
    (void)awaited.await(1, std::chrono::milliseconds(0), "tools/call", "u");
    FAIL() << "no timeout";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::timeout);
  }
  awaited.expect(2);
  std::thread closer([&] { awaited.close(); });
  try {
    (void)awaited.await(2, std::nullopt, "elicitation/create", "u");
    FAIL() << "not cancelled";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::cancelled);
  }
  closer.join();
  awaited.forget(2);
}

TEST(AwaitedAnswers, ACancelledWaitEndsAtOnceAndItsLateAnswerIsNotTaken) {
  AwaitedAnswers awaited;
  awaited.cancel("never-expected");  // nothing to end
  awaited.expect("in");
  awaited.expect("other");
  std::thread canceller([&] { awaited.cancel("in"); });
  try {
    (void)awaited.await("in", std::nullopt, "elicitation/create", "u");
    FAIL() << "not cancelled";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::cancelled);
    EXPECT_NE(std::string(e.what()).find("cancelled"), std::string::npos) << e.what();
  }
  canceller.join();
  EXPECT_FALSE(awaited.take(rpc::Response{"in", Json::object()})) << "nobody waits for it any more";
  EXPECT_TRUE(awaited.take(rpc::Response{"other", Json{{"n", 1}}})) << "the other wait is untouched";
  EXPECT_EQ(awaited.await("other", std::chrono::milliseconds(0), "roots/list", "u"), (Json{{"n", 1}}));
}

}  // namespace
}  // namespace mcpauth::mcp::detail
