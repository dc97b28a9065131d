// The mcp engine's negotiation decisions (internal mcp::detail::Negotiator),
// fed with the answers a server could give: which transport, which version,
// which era, and what to try next. No I/O: each test plays the driver.
#include "../../src/mcp/negotiation.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mcpauth::mcp::detail {
namespace {

constexpr const char* kUrl = "https://mcp.example/mcp";
using Kind = Step::Kind;

Error http(int status) {
  return Error(ErrorCode::http_status, "POST answered HTTP " + std::to_string(status), kUrl, status);
}
Error get_refused(int status) {
  return Error(ErrorCode::http_status, "GET answered HTTP " + std::to_string(status), kUrl, status);
}
// What failed() throws once both transports refused the endpoint: `e` with
// the first transport's refusal before it.
Error refused_by_both(Negotiator& n, const Error& e) {
  try {
    (void)n.failed(e);
  } catch (const Error& both) {
    return both;
  }
  ADD_FAILURE() << "failed() did not throw for " << e.what();
  return e;
}
Error unauthorized() {
  return Error(ErrorCode::unauthorized, "POST was refused with HTTP 401", kUrl, 401);
}
RpcError rpc(int code, Json data = nullptr) {
  return RpcError("answered with error", kUrl, code, std::move(data));
}
RpcError unsupported(std::vector<std::string> versions) {
  return rpc(kUnsupportedProtocolVersionError, Json{{"supported", versions}});
}
Json initialize_result(const std::string& version) {
  return Json{{"protocolVersion", version},
              {"capabilities", {{"tools", Json::object()}}},
              {"serverInfo", {{"name", "srv"}, {"version", "1"}}}};
}
Json discover_result(std::vector<std::string> versions) {
  return Json{{"supportedVersions", versions},
              {"capabilities", {{"tools", Json::object()}}},
              {"_meta", {{"io.modelcontextprotocol/serverInfo", {{"name", "modern"}, {"version", "2"}}}}}};
}

void expect_step(const Negotiator& n, Kind kind, TransportKind transport, const std::string& version = "") {
  EXPECT_EQ(n.next().kind, kind);
  EXPECT_EQ(n.next().transport, transport);
  EXPECT_EQ(n.next().version, version);
}

// Drives an initialize step that the server accepts, through to done.
void finish_handshake(Negotiator& n, const std::string& version) {
  ASSERT_EQ(n.next().kind, Kind::initialize);
  n.initialize_answered(initialize_result(version));
  ASSERT_EQ(n.next().kind, Kind::initialized);
  EXPECT_EQ(n.next().version, version);
  n.announced();
  EXPECT_EQ(n.next().kind, Kind::done);
  EXPECT_EQ(n.era(), Era::handshake);
  EXPECT_EQ(n.server().protocol_version, version);
}

// Drives a discover step the server answers (listing `versions`) in 2026-07-28, through to done.
void finish_discovery(Negotiator& n, const std::vector<std::string>& versions = {"2026-07-28"}) {
  expect_step(n, Kind::discover, TransportKind::streamable_http, "2026-07-28");
  n.discovered(discover_result(versions));
  expect_step(n, Kind::initialized, TransportKind::streamable_http, "2026-07-28");
  n.announced();
  EXPECT_EQ(n.next().kind, Kind::done);
  EXPECT_EQ(n.era(), Era::modern);
  EXPECT_EQ(n.server().protocol_version, "2026-07-28");
  EXPECT_EQ(n.server().implementation.name, "modern");
}

TEST(Negotiation, AModernServerIsFoundByDiscover) {
  auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2026-07-28");
  expect_step(n, Kind::open, TransportKind::streamable_http);
  n.opened();
  finish_discovery(n, {"2025-11-25", "2026-07-28"});
  EXPECT_TRUE(n.server().capabilities.contains("tools"));
}

TEST(Negotiation, AHandshakeVersionAskedForSkipsDiscover) {
  auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2025-03-26");
  n.opened();
  expect_step(n, Kind::initialize, TransportKind::streamable_http, "2025-03-26");
  finish_handshake(n, "2025-03-26");
}

TEST(Negotiation, AnEmptyOrHandshakeOnlyDiscoverResultMeansInitialize) {
  for (const Json& result : {Json::object(), discover_result({"2025-06-18"}), Json::array(), Json("x")}) {
    auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2026-07-28");
    n.opened();
    n.discovered(result);
    expect_step(n, Kind::initialize, TransportKind::streamable_http, std::string(kLatestLegacyVersion));
  }
}

TEST(Negotiation, UnsupportedProtocolVersionNamingAModernVersionDiscoversAgainInIt) {
  auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2026-07-28");
  n.opened();
  ASSERT_TRUE(n.failed(unsupported({"2026-07-28", "2025-11-25"})));
  expect_step(n, Kind::discover, TransportKind::streamable_http, "2026-07-28");
  n.discovered(discover_result({"2026-07-28"}));
  EXPECT_EQ(n.next().kind, Kind::initialized);
  EXPECT_EQ(n.era(), Era::modern);
}

TEST(Negotiation, DiscoverIsTriedAtMostTwice) {
  auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2026-07-28");
  n.opened();
  ASSERT_TRUE(n.failed(unsupported({"2026-07-28"})));
  ASSERT_EQ(n.next().kind, Kind::discover);
  ASSERT_TRUE(n.failed(unsupported({"2026-07-28"})));
  expect_step(n, Kind::initialize, TransportKind::streamable_http, std::string(kLatestLegacyVersion));
}

TEST(Negotiation, UnsupportedProtocolVersionNamingAHandshakeVersionInitializesWithIt) {
  auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2026-07-28");
  n.opened();
  ASSERT_TRUE(n.failed(unsupported({"2025-03-26", "2024-11-05"})));
  expect_step(n, Kind::initialize, TransportKind::streamable_http, "2025-03-26");
  finish_handshake(n, "2025-03-26");
}

TEST(Negotiation, UnsupportedProtocolVersionWithNoCommonVersionIsAProtocolError) {
  auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2026-07-28");
  n.opened();
  try {
    (void)n.failed(unsupported({"1999-01-01"}));
    FAIL() << "expected a protocol error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::protocol);
    EXPECT_NE(std::string(e.what()).find("1999-01-01"), std::string::npos) << e.what();
  }
}

TEST(Negotiation, AnyOtherJsonRpcErrorOrA4xxToDiscoverMeansAHandshakeServer) {
  for (int code : {-32601, -32600, 1}) {
    auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2026-07-28");
    n.opened();
    ASSERT_TRUE(n.failed(rpc(code))) << code;
    expect_step(n, Kind::initialize, TransportKind::streamable_http, std::string(kLatestLegacyVersion));
  }
  for (const Error& e : {http(400), http(404), http(405), http(422)}) {
    auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2026-07-28");
    n.opened();
    ASSERT_TRUE(n.failed(e)) << e.what();
    expect_step(n, Kind::initialize, TransportKind::streamable_http, std::string(kLatestLegacyVersion));
  }
}

TEST(Negotiation, AuthorizationAndServerFailuresOfDiscoverAreNotTheErasBusiness) {
  for (const Error& e : {unauthorized(), http(500), Error(ErrorCode::connection, "reset")}) {
    auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2026-07-28");
    n.opened();
    EXPECT_FALSE(n.failed(e)) << e.what();
  }
}

TEST(Negotiation, AutomaticFallsBackToLegacySseOn400_404_405) {
  for (int status : {400, 404, 405}) {
    auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2025-11-25");
    n.opened();
    ASSERT_TRUE(n.failed(http(status))) << status;
    expect_step(n, Kind::open, TransportKind::sse);
    n.opened();
    EXPECT_EQ(n.transport(), TransportKind::sse);
    expect_step(n, Kind::initialize, TransportKind::sse, "2025-11-25");
    // Legacy SSE is the last resort; its refusal names the POST's too, which
    // is often the one that says what is wrong.
    const Error both = refused_by_both(n, get_refused(405));
    EXPECT_EQ(std::string(both.what()),
              "POST answered HTTP " + std::to_string(status) +
                  "; the HTTP+SSE transport (2024-11-05) was tried next: GET answered HTTP 405");
    EXPECT_EQ(both.code(), ErrorCode::http_status);
    EXPECT_EQ(both.http_status(), 405);
    EXPECT_EQ(both.url(), kUrl);
  }
}

TEST(Negotiation, AFallbackFailingOtherwiseThanByStatusIsRethrownAsItIs) {
  auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2025-11-25");
  n.opened();
  ASSERT_TRUE(n.failed(http(404)));
  n.opened();
  EXPECT_FALSE(n.failed(unauthorized())) << "the driver rethrows the authorization failure itself";
}

TEST(Negotiation, AFallbackToLegacySseOffersTheNewestHandshakeVersion) {
  auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2026-07-28");
  n.opened();
  ASSERT_TRUE(n.failed(http(404)));  // discover: a handshake server
  ASSERT_TRUE(n.failed(http(404)));  // initialize: not a Streamable HTTP endpoint
  n.opened();
  expect_step(n, Kind::initialize, TransportKind::sse, std::string(kLatestLegacyVersion));
}

TEST(Negotiation, NoFallbackOn401Or403OrWhenStreamableHttpWasAskedFor) {
  for (const Error& e : {unauthorized(), Error(ErrorCode::forbidden, "403", kUrl, 403), http(500)}) {
    auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2025-11-25");
    n.opened();
    EXPECT_FALSE(n.failed(e)) << e.what();
  }
  auto n = Negotiator::connect(kUrl, TransportKind::streamable_http, "2025-11-25");
  n.opened();
  EXPECT_FALSE(n.failed(http(404)));
}

TEST(Negotiation, AFailedAnnouncementFallsBackLikeTheInitialize) {
  auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2025-11-25");
  n.opened();
  n.initialize_answered(initialize_result("2025-11-25"));
  ASSERT_EQ(n.next().kind, Kind::initialized);
  ASSERT_TRUE(n.failed(http(405)));
  expect_step(n, Kind::open, TransportKind::sse);
}

TEST(Negotiation, SseOnlyHasNothingElseToTry) {
  auto n = Negotiator::connect(kUrl, TransportKind::sse, "2026-07-28");
  expect_step(n, Kind::open, TransportKind::sse);
  EXPECT_FALSE(n.failed(http(404)));
  n.opened();
  expect_step(n, Kind::initialize, TransportKind::sse, std::string(kLatestLegacyVersion));
  finish_handshake(n, "2024-11-05");
}

TEST(Negotiation, SseFirstFallsBackToStreamableHttpAndNotBackAgain) {
  auto n = Negotiator::connect(kUrl, TransportKind::sse_first, "2026-07-28");
  expect_step(n, Kind::open, TransportKind::sse);
  ASSERT_TRUE(n.failed(http(405)));  // the event stream refused
  expect_step(n, Kind::open, TransportKind::streamable_http);
  n.opened();
  expect_step(n, Kind::discover, TransportKind::streamable_http, "2026-07-28");
  ASSERT_TRUE(n.failed(http(404)));
  ASSERT_EQ(n.next().kind, Kind::initialize);
  // Only automatic falls back to legacy SSE: the end, naming the stream's refusal too.
  const Error both = refused_by_both(n, http(404));
  EXPECT_EQ(std::string(both.what()), "POST answered HTTP 405; Streamable HTTP was tried next: POST answered HTTP 404");
}

TEST(Negotiation, SseFirstKeepsOtherFailures) {
  auto n = Negotiator::connect(kUrl, TransportKind::sse_first, "2025-11-25");
  EXPECT_FALSE(n.failed(unauthorized()));
  n.opened();
  EXPECT_FALSE(n.failed(http(500)));
}

TEST(Negotiation, AServerRememberedAsLegacySseIsOpenedThatWayFirst) {
  auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2026-07-28", {"2024-11-05", "sse"});
  expect_step(n, Kind::open, TransportKind::sse);
  n.opened();
  ASSERT_TRUE(n.failed(http(404)));  // the server moved on
  expect_step(n, Kind::open, TransportKind::streamable_http);
  n.opened();
  expect_step(n, Kind::discover, TransportKind::streamable_http, "2026-07-28");
}

TEST(Negotiation, AServerRememberedAsSpeakingTheHandshakeGetsInitializeAtOnce) {
  auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2026-07-28", {"2025-06-18", "streamable-http"});
  n.opened();
  expect_step(n, Kind::initialize, TransportKind::streamable_http, std::string(kLatestLegacyVersion));
  finish_handshake(n, "2025-06-18");
}

TEST(Negotiation, ARememberedServerThatChangedIsFoundTheUsualWayOnAFreshTransport) {
  for (const Error& e : {Error(rpc(-32600)), http(400), http(404), Error(ErrorCode::protocol, "bad result")}) {
    auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2026-07-28", {"2025-06-18", "streamable-http"});
    n.opened();
    ASSERT_TRUE(n.failed(e)) << e.what();
    expect_step(n, Kind::open, TransportKind::streamable_http);
    n.opened();
    expect_step(n, Kind::discover, TransportKind::streamable_http, "2026-07-28");
  }
}

TEST(Negotiation, ARememberedServerAnsweringWithAModernVersionChanged) {
  auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2026-07-28", {"2025-06-18", "streamable-http"});
  n.opened();
  n.initialize_answered(initialize_result("2026-07-28"));
  expect_step(n, Kind::open, TransportKind::streamable_http);
}

TEST(Negotiation, ARememberedServerRefusingCredentialsIsAFailureNotAChange) {
  auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2026-07-28", {"2025-06-18", "streamable-http"});
  n.opened();
  EXPECT_FALSE(n.failed(unauthorized()));
  EXPECT_FALSE(n.failed(Error(ErrorCode::forbidden, "403", kUrl, 403)));
  EXPECT_FALSE(n.failed(http(503)));
}

TEST(Negotiation, MemoryIsIgnoredWhereItCannotApply) {
  // A modern version remembered: discover as usual.
  auto modern = Negotiator::connect(kUrl, TransportKind::automatic, "2026-07-28", {"2026-07-28", "streamable-http"});
  modern.opened();
  EXPECT_EQ(modern.next().kind, Kind::discover);
  // An unknown version remembered: discover as usual.
  auto unknown = Negotiator::connect(kUrl, TransportKind::automatic, "2026-07-28", {"1999-01-01", "streamable-http"});
  unknown.opened();
  EXPECT_EQ(unknown.next().kind, Kind::discover);
  // Legacy SSE remembered but Streamable HTTP asked for: Streamable HTTP, the usual way.
  auto http_only = Negotiator::connect(kUrl, TransportKind::streamable_http, "2026-07-28", {"2024-11-05", "sse"});
  expect_step(http_only, Kind::open, TransportKind::streamable_http);
  http_only.opened();
  EXPECT_EQ(http_only.next().kind, Kind::discover);
}

TEST(Negotiation, AnInitializeAnswerInAVersionNotSpokenOverTheHandshakeIsAProtocolError) {
  for (const char* version : {"2026-07-28", "1999-01-01"}) {
    auto n = Negotiator::connect(kUrl, TransportKind::streamable_http, "2025-11-25");
    n.opened();
    try {
      n.initialize_answered(initialize_result(version));
      FAIL() << "expected a protocol error for " << version;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::protocol);
      EXPECT_NE(std::string(e.what()).find(version), std::string::npos) << e.what();
    }
  }
  auto n = Negotiator::connect(kUrl, TransportKind::streamable_http, "2025-11-25");
  n.opened();
  EXPECT_THROW(n.initialize_answered(Json{{"capabilities", Json::object()}}), Error);
}

TEST(Negotiation, AnUnusableInitializeAnswerIsNotAFallbackCue) {
  // A protocol error is not 400/404/405: automatic stays on Streamable HTTP.
  auto n = Negotiator::connect(kUrl, TransportKind::automatic, "2025-11-25");
  n.opened();
  EXPECT_THROW(n.initialize_answered(initialize_result("1999-01-01")), Error);
}

TEST(Negotiation, AHandshakeRenewalInitializesWithTheVersionAgreedBefore) {
  ServerInfo before;
  before.protocol_version = "2025-03-26";
  auto n = Negotiator::renew(kUrl, TransportKind::sse, before);
  expect_step(n, Kind::open, TransportKind::sse);
  n.opened();
  expect_step(n, Kind::initialize, TransportKind::sse, "2025-03-26");
  EXPECT_FALSE(n.failed(http(404))) << "a renewal has nothing else to try";
}

TEST(Negotiation, AModernRenewalDiscoversAgainAndFailsWhenTheServerNoLongerIsModern) {
  ServerInfo before;
  before.protocol_version = "2026-07-28";
  auto n = Negotiator::renew(kUrl, TransportKind::streamable_http, before);
  n.opened();
  expect_step(n, Kind::discover, TransportKind::streamable_http, "2026-07-28");
  try {
    (void)n.failed(http(400));
    FAIL() << "expected a protocol error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::protocol);
    EXPECT_NE(std::string(e.what()).find("no longer answers server/discover"), std::string::npos) << e.what();
  }
  auto again = Negotiator::renew(kUrl, TransportKind::streamable_http, before);
  again.opened();
  again.discovered(discover_result({"2026-07-28"}));
  EXPECT_EQ(again.next().kind, Kind::initialized);
  EXPECT_EQ(again.era(), Era::modern);
}

TEST(Negotiation, AModernRenewalMayNegotiateDownToTheHandshake) {
  ServerInfo before;
  before.protocol_version = "2026-07-28";
  auto n = Negotiator::renew(kUrl, TransportKind::streamable_http, before);
  n.opened();
  ASSERT_TRUE(n.failed(unsupported({"2025-06-18"})));
  expect_step(n, Kind::initialize, TransportKind::streamable_http, "2025-06-18");
  finish_handshake(n, "2025-06-18");
}

TEST(Negotiation, PassThroughOpensAndLetsTheClientNegotiate) {
  auto n = Negotiator::pass_through(kUrl, TransportKind::automatic);
  expect_step(n, Kind::open, TransportKind::streamable_http);
  n.opened();
  expect_step(n, Kind::forward, TransportKind::streamable_http);
  n.forwarded();
  EXPECT_EQ(n.next().kind, Kind::done);
  EXPECT_FALSE(n.failed(http(404))) << "the transport is settled once a message went through";
}

TEST(Negotiation, PassThroughAutomaticFallsBackOnTheFirstMessageOnly) {
  auto n = Negotiator::pass_through(kUrl, TransportKind::automatic);
  n.opened();
  ASSERT_TRUE(n.failed(http(404)));
  expect_step(n, Kind::open, TransportKind::sse);
  n.opened();
  expect_step(n, Kind::forward, TransportKind::sse);
  EXPECT_NE(std::string(refused_by_both(n, get_refused(404)).what()).find("POST answered HTTP 404; "),
            std::string::npos);

  auto settled = Negotiator::pass_through(kUrl, TransportKind::automatic);
  settled.opened();
  EXPECT_FALSE(settled.failed(http(503))) << "the endpoint answered";
  EXPECT_FALSE(settled.failed(http(404))) << "so a later 404 is no fallback cue";
}

TEST(Negotiation, PassThroughSseFirstAndSseOnly) {
  auto first = Negotiator::pass_through(kUrl, TransportKind::sse_first);
  expect_step(first, Kind::open, TransportKind::sse);
  EXPECT_FALSE(first.failed(unauthorized()));
  expect_step(first, Kind::open, TransportKind::sse);  // tried again with the next message
  ASSERT_TRUE(first.failed(http(405)));
  expect_step(first, Kind::open, TransportKind::streamable_http);
  first.opened();
  expect_step(first, Kind::forward, TransportKind::streamable_http);
  EXPECT_EQ(std::string(refused_by_both(first, http(404)).what()),
            "POST answered HTTP 405; Streamable HTTP was tried next: POST answered HTTP 404");

  auto only = Negotiator::pass_through(kUrl, TransportKind::sse);
  expect_step(only, Kind::open, TransportKind::sse);
  EXPECT_FALSE(only.failed(http(404)));
  auto http_only = Negotiator::pass_through(kUrl, TransportKind::streamable_http);
  http_only.opened();
  EXPECT_FALSE(http_only.failed(http(404)));
}

// A pass-through negotiator that may translate (a modern offer), opened on
// Streamable HTTP, at the forward step of a handshake-era client's initialize.
Negotiator translating(const ProtocolMemory& remembered = {}) {
  auto n = Negotiator::pass_through(kUrl, TransportKind::automatic, "2026-07-28", remembered);
  n.opened();
  n.client_initializes("2025-11-25");
  return n;
}

TEST(Negotiation, PassThroughForwardsAHandshakeInitializeAsItIs) {
  auto n = translating();
  expect_step(n, Kind::forward, TransportKind::streamable_http);
  n.forwarded();
  EXPECT_EQ(n.next().kind, Kind::done);
  EXPECT_EQ(n.era(), Era::handshake) << "a server that answers the initialize speaks the handshake";
}

TEST(Negotiation, PassThroughDiscoversWhenTheInitializeIsRefusedForAModernVersion) {
  auto n = translating();
  ASSERT_TRUE(n.failed(unsupported({"2026-07-28"})));
  finish_discovery(n);
}

TEST(Negotiation, PassThroughLeavesOtherRefusalsOfTheInitializeToTheClient) {
  auto other_error = translating();
  EXPECT_FALSE(other_error.failed(rpc(-32601)));
  auto handshake_versions = translating();
  EXPECT_FALSE(handshake_versions.failed(unsupported({"2025-06-18"}))) << "the client can offer that itself";
  auto unknown = translating();
  EXPECT_FALSE(unknown.failed(unsupported({"2099-01-01"})));
  auto not_translating = Negotiator::pass_through(kUrl, TransportKind::automatic, "2025-11-25");
  not_translating.opened();
  not_translating.client_initializes("2025-11-25");
  EXPECT_FALSE(not_translating.failed(unsupported({"2026-07-28"}))) << "a handshake offer never translates";
  auto modern_client = Negotiator::pass_through(kUrl, TransportKind::automatic, "2026-07-28");
  modern_client.opened();
  modern_client.client_initializes("2026-07-28");
  EXPECT_FALSE(modern_client.failed(unsupported({"2026-07-28"})));
  auto no_initialize = Negotiator::pass_through(kUrl, TransportKind::automatic, "2026-07-28");
  no_initialize.opened();
  EXPECT_FALSE(no_initialize.failed(unsupported({"2026-07-28"}))) << "only the client's initialize is translated";
}

TEST(Negotiation, PassThroughOverLegacySseNeverTranslates) {
  auto n = Negotiator::pass_through(kUrl, TransportKind::sse, "2026-07-28", {"2026-07-28", "streamable-http"});
  n.opened();
  n.client_initializes("2025-11-25");
  expect_step(n, Kind::forward, TransportKind::sse);
  EXPECT_FALSE(n.failed(unsupported({"2026-07-28"})));
}

TEST(Negotiation, PassThroughDiscoversAtOnceForAServerRememberedAsModern) {
  auto n = translating({"2026-07-28", "streamable-http"});
  finish_discovery(n);

  auto changed = translating({"2026-07-28", "streamable-http"});
  ASSERT_TRUE(changed.failed(rpc(-32601)));
  expect_step(changed, Kind::forward, TransportKind::streamable_http);
  EXPECT_FALSE(changed.failed(unsupported({"2026-07-28"}))) << "translated once at most";

  auto handshake_now = translating({"2026-07-28", "streamable-http"});
  ASSERT_TRUE(handshake_now.failed(unsupported({"2025-11-25"})));
  expect_step(handshake_now, Kind::forward, TransportKind::streamable_http);

  auto empty_result = translating({"2026-07-28", "streamable-http"});
  empty_result.discovered(Json::object());
  expect_step(empty_result, Kind::forward, TransportKind::streamable_http);

  auto unreachable = translating({"2026-07-28", "streamable-http"});
  EXPECT_FALSE(unreachable.failed(unauthorized())) << "authorization is not the era's business";
}

TEST(Negotiation, PassThroughWhoseInitializeWasRefusedHasNothingElseWhenDiscoveryFails) {
  auto n = translating();
  ASSERT_TRUE(n.failed(unsupported({"2026-07-28"})));
  EXPECT_THROW((void)n.failed(rpc(-32601)), Error);
  auto empty = translating();
  ASSERT_TRUE(empty.failed(unsupported({"2026-07-28"})));
  EXPECT_THROW(empty.discovered(Json::object()), Error);
}

TEST(Negotiation, TheVersionOfAForwardedInitializeAnswer) {
  EXPECT_EQ(agreed_version(initialize_result("2025-06-18")), "2025-06-18");
  EXPECT_EQ(agreed_version(Json{{"protocolVersion", 3}}), std::nullopt);
  EXPECT_EQ(agreed_version(Json{{"tools", Json::array()}}), std::nullopt);
  EXPECT_EQ(agreed_version(Json::array()), std::nullopt);
}

TEST(Negotiation, WhatCountsAsAServerThatChanged) {
  EXPECT_TRUE(server_changed(rpc(-32600)));
  EXPECT_TRUE(server_changed(Error(ErrorCode::protocol, "x")));
  for (int status : {400, 404, 405, 410, 499}) EXPECT_TRUE(server_changed(http(status))) << status;
  for (int status : {500, 502, 399}) EXPECT_FALSE(server_changed(http(status))) << status;
  EXPECT_FALSE(server_changed(http(401)));
  EXPECT_FALSE(server_changed(Error(ErrorCode::http_status, "403", kUrl, 403)));
  EXPECT_FALSE(server_changed(unauthorized()));
  EXPECT_FALSE(server_changed(Error(ErrorCode::connection, "reset")));
}

}  // namespace
}  // namespace mcpauth::mcp::detail
