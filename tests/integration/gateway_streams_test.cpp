// The gateway's local event streams on its event loop (issue 13): hundreds
// of open streams add no threads, a stream resumed with Last-Event-ID gets
// exactly what it missed, and SIGTERM ends every open stream cleanly.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "gateway_harness.hpp"
#include "mcpauth/mcp/bridge.hpp"

namespace mcpauth {
namespace {

using mcp::Json;
using testing::gateway_status;
using testing::GatewayProcess;
using testing::http;
using testing::PeerProcess;
using testing::RawConnection;
using testing::write_config;

// How long a read waits for what a test expects before the test fails (a
// hang bound, never a speed requirement: what is awaited comes at once).
constexpr auto kPatience = std::chrono::seconds(30);

const net::HttpHeaders kAccept{{"Accept", "application/json, text/event-stream"}};

// A new local session of `server`; its Mcp-Session-Id.
std::string initialize(GatewayProcess& gw, const std::string& server, const std::string& version = "2025-11-25") {
  const std::string initialize = R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":")" +
                                 version + R"(","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";
  const auto r = http("POST", gw.url("/servers/" + server + "/mcp"), initialize, kAccept);
  EXPECT_EQ(r.status, 200) << r.body;
  const auto id = r.headers.get("Mcp-Session-Id");
  EXPECT_TRUE(id.has_value()) << r.body;
  net::HttpHeaders headers = kAccept;
  headers.set("Mcp-Session-Id", id.value_or(""));
  EXPECT_EQ(http("POST", gw.url("/servers/" + server + "/mcp"),
                 R"({"jsonrpc":"2.0","method":"notifications/initialized"})", headers)
                .status,
            202);
  return id.value_or("");
}

net::HttpResponse call_tool(GatewayProcess& gw, const std::string& session, int id, const std::string& tool,
                            const Json& arguments) {
  net::HttpHeaders headers = kAccept;
  headers.set("Mcp-Session-Id", session);
  const Json request = {
      {"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"}, {"params", {{"name", tool}, {"arguments", arguments}}}};
  return http("POST", gw.url("/servers/plain/mcp"), request.dump(), headers);
}

// The raw bytes of one stream as they arrive (chunk framing included: the
// SSE fields are found in them whole, since the gateway never splits an event).
class StreamReader {
 public:
  // GET `path` (with the session's id, and Last-Event-ID when given).
  StreamReader(GatewayProcess& gw, const std::string& path, const std::string& session = "",
               const std::string& last_event_id = "")
      : connection_(std::make_unique<RawConnection>(gw.port())) {
    std::string head = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(gw.port()) +
                       "\r\nAccept: text/event-stream\r\n";
    if (!session.empty()) head += "Mcp-Session-Id: " + session + "\r\n";
    if (!last_event_id.empty()) head += "Last-Event-ID: " + last_event_id + "\r\n";
    connection_->send(head + "\r\n");
  }

  // Reads until `text` has arrived; false if the stream ended first, or
  // `kPatience` went by (a hang bound: keep-alives would keep a receive timeout from ending the wait).
  bool until(const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (text_.find(text) == std::string::npos) {
      if (!read_some(deadline)) return false;
    }
    return true;
  }
  // Reads until `n` message events have arrived (or as `until`); their ids,
  // in order (a priming event, an id without a message, is not one).
  std::vector<std::string> ids(std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    for (;;) {
      std::vector<std::string> found;
      static const std::regex kId("(?:^|\n)id: ([^\n]+)\nevent: message\n");
      for (std::sregex_iterator it(text_.begin(), text_.end(), kId), end; it != end; ++it) found.push_back((*it)[1]);
      if (found.size() >= n || !read_some(deadline)) return found;
    }
  }
  // Reads until `text` has arrived `n` times (or as `until`); how often it has.
  std::size_t count(const std::string& text, std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    for (;;) {
      std::size_t found = 0;
      for (std::size_t at = 0; (at = text_.find(text, at)) != std::string::npos; at += text.size()) ++found;
      if (found >= n || !read_some(deadline)) return found;
    }
  }
  // Everything until the gateway closes the connection; false if it did not (timeout).
  bool until_closed() {
    auto [rest, closed] = connection_->receive_until_closed();
    text_ += rest;
    return closed;
  }
  const std::string& text() const { return text_; }
  bool ok() const { return text_.rfind("HTTP/1.1 200", 0) == 0; }

 private:
  bool read_some(std::chrono::steady_clock::time_point deadline) {
    const auto left = deadline - std::chrono::steady_clock::now();
    return left.count() > 0 && connection_->read_some(text_, left);
  }

  std::unique_ptr<RawConnection> connection_;
  std::string text_;
};

// The session's GET stream, open (its first comment has arrived). The
// gateway allows one per session: right after the client dropped the
// previous one, the gateway may not have seen that yet (409), so try again.
std::unique_ptr<StreamReader> open_stream(GatewayProcess& gw, const std::string& session,
                                          const std::string& last_event_id = "") {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    auto reader = std::make_unique<StreamReader>(gw, "/servers/plain/mcp", session, last_event_id);
    if (!reader->until("\r\n\r\n")) break;
    if (reader->ok()) {
      EXPECT_TRUE(reader->until(": stream open")) << reader->text();
      return reader;
    }
    EXPECT_EQ(reader->text().rfind("HTTP/1.1 409", 0), 0u) << reader->text();
    std::this_thread::yield();
  }
  ADD_FAILURE() << "the session's stream did not open";
  return nullptr;
}

// "<tag>-<n>" -> n
unsigned long event_number(const std::string& id) {
  return std::stoul(id.substr(id.rfind('-') + 1));
}

// The upstream (the SDK's stateless server) offers no GET stream, so the
// remote side of each session holds no thread either: whatever threads the
// gateway has, the local streams did not add them.
TEST(GatewayStreams, ThreeHundredOpenLocalStreamsAddNoThreads) {
  PeerProcess peer("streamable-server.mjs", {"--stateless"});
  const std::string config = write_config("streams300", {{"plain", {{"url", peer.url()}}}});
  GatewayProcess gw(config);
  constexpr int kStreams = 300;
  std::vector<std::string> sessions;
  for (int i = 0; i < kStreams; ++i) {
    sessions.push_back(initialize(gw, "plain"));
    ASSERT_FALSE(sessions.back().empty()) << i;
  }
  std::vector<std::unique_ptr<StreamReader>> streams;
  for (const auto& session : sessions) {
    streams.push_back(open_stream(gw, session));
    ASSERT_TRUE(streams.back()) << streams.size();
  }
  const long threads = gateway_status(config, "Threads");
  ASSERT_GT(threads, 0);
  RecordProperty("gateway_threads", static_cast<int>(threads));  // in --gtest_output=xml, for the record
  EXPECT_LE(threads, 32) << "the gateway has " << threads << " threads with " << kStreams << " streams open";
  // And it serves while they are open.
  const auto echo = call_tool(gw, sessions.front(), 2, "echo", {{"text", "with streams open"}});
  EXPECT_EQ(echo.status, 200) << echo.body;
  EXPECT_NE(echo.body.find("with streams open"), std::string::npos) << echo.body;
  EXPECT_EQ(http("GET", gw.url("/api/state")).status, 200);
}

// A client that dropped its stream and comes back with the id of the last
// event it processed gets every later event once, in order: those written to
// the dropped stream, then those pushed while no stream was open.
TEST(GatewayStreams, LastEventIdReplaysExactlyWhatTheClientMissedInOrder) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("resume", {{"plain", {{"url", peer.url()}}}}));
  const std::string session = initialize(gw, "plain");
  auto first = open_stream(gw, session);
  ASSERT_TRUE(first);
  int request = 10;
  // Each notify_later becomes one notifications/tools/list_changed on the stream.
  auto push = [&] { EXPECT_EQ(call_tool(gw, session, ++request, "notify_later", {{"delay_ms", 0}}).status, 200); };
  for (int i = 0; i < 3; ++i) push();
  const auto seen = first->ids(3);
  ASSERT_EQ(seen.size(), 3u) << first->text();
  EXPECT_EQ(event_number(seen[1]), event_number(seen[0]) + 1);
  EXPECT_EQ(event_number(seen[2]), event_number(seen[0]) + 2);
  first.reset();  // dropped: as if the last two never reached the client
  for (int i = 0; i < 2; ++i) push();

  auto resumed = open_stream(gw, session, seen[0]);
  ASSERT_TRUE(resumed);
  const auto replayed = resumed->ids(4);
  ASSERT_EQ(replayed.size(), 4u) << resumed->text();
  EXPECT_EQ(replayed[0], seen[1]);
  EXPECT_EQ(replayed[1], seen[2]);
  EXPECT_EQ(event_number(replayed[2]), event_number(seen[2]) + 1);
  EXPECT_EQ(event_number(replayed[3]), event_number(seen[2]) + 2);
  // Nothing else came in between: the next push is the next event.
  push();
  const auto all = resumed->ids(5);
  ASSERT_EQ(all.size(), 5u) << resumed->text();
  EXPECT_EQ(event_number(all[4]), event_number(seen[2]) + 3) << resumed->text();
  std::size_t notifications = 0;
  for (std::size_t at = 0; (at = resumed->text().find("notifications/tools/list_changed", at)) != std::string::npos;
       ++at) {
    ++notifications;
  }
  EXPECT_EQ(notifications, 5u) << resumed->text();
}

// An id the session never wrote (another session's, say) is no cursor: the
// stream opens as without it, with nothing written before replayed.
TEST(GatewayStreams, AnUnknownLastEventIdReplaysNothing) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("resume-unknown", {{"plain", {{"url", peer.url()}}}}));
  const std::string session = initialize(gw, "plain");
  auto first = open_stream(gw, session);
  ASSERT_TRUE(first);
  ASSERT_EQ(call_tool(gw, session, 2, "notify_later", {{"delay_ms", 0}}).status, 200);
  const auto seen = first->ids(1);
  ASSERT_EQ(seen.size(), 1u) << first->text();
  first.reset();

  auto again = open_stream(gw, session, "another-session-" + std::to_string(event_number(seen[0])));
  ASSERT_TRUE(again);
  ASSERT_EQ(call_tool(gw, session, 3, "notify_later", {{"delay_ms", 0}}).status, 200);
  const auto next = again->ids(1);
  ASSERT_EQ(next.size(), 1u) << again->text();
  EXPECT_EQ(event_number(next[0]), event_number(seen[0]) + 1) << again->text();
}

// A client of 2025-11-25 gets a "priming" event (an id, no data) as its
// stream opens: a stream dropped before its first message can still resume,
// and gets that message once.
TEST(GatewayStreams, A2025_11_25StreamOpensWithAPrimingEventToResumeFrom) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("priming", {{"plain", {{"url", peer.url()}}}}));
  const std::string session = initialize(gw, "plain");
  auto first = open_stream(gw, session);
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->until("data:\n\n")) << first->text();
  static const std::regex kPriming("\nid: ([^\n]+)\ndata:\n\n");
  std::smatch primed;
  ASSERT_TRUE(std::regex_search(first->text(), primed, kPriming)) << first->text();
  const std::string primed_id = primed[1];
  EXPECT_EQ(event_number(primed_id), 0u) << primed_id;
  first.reset();  // dropped before any message
  ASSERT_EQ(call_tool(gw, session, 2, "notify_later", {{"delay_ms", 0}}).status, 200);

  auto resumed = open_stream(gw, session, primed_id);
  ASSERT_TRUE(resumed);
  const auto ids = resumed->ids(1);
  ASSERT_EQ(ids.size(), 1u) << resumed->text();
  EXPECT_EQ(event_number(ids[0]), 1u) << resumed->text();
  ASSERT_EQ(call_tool(gw, session, 3, "notify_later", {{"delay_ms", 0}}).status, 200);
  const auto both = resumed->ids(2);
  ASSERT_EQ(both.size(), 2u) << resumed->text();
  EXPECT_EQ(event_number(both[1]), 2u) << resumed->text();  // the first was not written twice
}

// Older revisions define no event without data: their streams get none.
TEST(GatewayStreams, A2025_06_18StreamHasNoPrimingEvent) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("no-priming", {{"plain", {{"url", peer.url()}}}}));
  const std::string session = initialize(gw, "plain", "2025-06-18");
  auto stream = open_stream(gw, session);
  ASSERT_TRUE(stream);
  ASSERT_EQ(call_tool(gw, session, 2, "notify_later", {{"delay_ms", 0}}).status, 200);
  ASSERT_EQ(stream->ids(1).size(), 1u) << stream->text();
  EXPECT_EQ(stream->text().find("data:\n"), std::string::npos) << stream->text();
}

// A forwarded request waits for its answer on the remote event loop, not on
// a thread (issue 13): forty tool calls in flight at once, each with the
// server (its first step has come back through the session's stream) and
// its answer not yet sent, add no thread each; every call gets its own answer.
TEST(GatewayStreams, RequestsInFlightHoldNoThreadEach) {
  PeerProcess peer("streamable-server.mjs");
  const std::string config = write_config("in-flight", {{"plain", {{"url", peer.url()}}}});
  GatewayProcess gw(config);
  const std::string session = initialize(gw, "plain");
  auto stream = open_stream(gw, session);
  ASSERT_TRUE(stream);
  constexpr int kCalls = 40;
  std::vector<net::HttpResponse> answers(kCalls);
  std::vector<std::thread> clients;
  for (int i = 0; i < kCalls; ++i) {
    clients.emplace_back([&, i] {
      answers[i] = call_tool(gw, session, 100 + i, "progress", {{"steps", 2}, {"delay_ms", 1500}});
    });
  }
  // Each call's first step reaches the stream while the call is in flight.
  const std::size_t in_flight = stream->count("step 1/2", kCalls);
  const long threads = gateway_status(config, "Threads");
  for (auto& client : clients) client.join();
  ASSERT_EQ(in_flight, static_cast<std::size_t>(kCalls)) << stream->text();
  ASSERT_GT(threads, 0);
  RecordProperty("gateway_threads", static_cast<int>(threads));
  EXPECT_LE(threads, 32) << "the gateway has " << threads << " threads with " << kCalls << " requests in flight";
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_EQ(answers[i].status, 200) << answers[i].body;
    const Json answer = Json::parse(answers[i].body, nullptr, false);
    EXPECT_EQ(answer.value("id", -1), 100 + i) << answers[i].body;
    EXPECT_NE(answers[i].body.find("done 2"), std::string::npos) << answers[i].body;
  }
}

// A remote answer that does not come within --timeout: the request is
// answered with the timeout error (the wait costs no thread), and the
// session goes on serving.
TEST(GatewayStreams, ARequestWhoseAnswerNeverComesIsAnsweredWithTheTimeoutError) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("no-answer", {{"plain", {{"url", peer.url()}}}}), {"--timeout", "1"});
  const std::string session = initialize(gw, "plain");
  const auto late = call_tool(gw, session, 2, "progress", {{"steps", 1}, {"delay_ms", 20000}});
  EXPECT_EQ(late.status, 200) << late.body;
  const Json answer = Json::parse(late.body, nullptr, false);
  EXPECT_EQ(answer.value("id", -1), 2) << late.body;
  ASSERT_TRUE(answer.contains("error")) << late.body;
  EXPECT_EQ(answer["error"].value("code", 0), mcp::kBridgeErrorCode) << late.body;
  EXPECT_EQ(answer["error"]["data"].value("mcpauth_error", ""), "timeout") << late.body;
  const auto echo = call_tool(gw, session, 3, "echo", {{"text", "still here"}});
  EXPECT_EQ(echo.status, 200) << echo.body;
  EXPECT_NE(echo.body.find("still here"), std::string::npos) << echo.body;
}

// A client that goes away while its request waits leaves nothing behind:
// once the answer has come (and found no one), the id is free again.
TEST(GatewayStreams, AClientGoneWhileItsRequestWaitsLeavesNoRegistration) {
  PeerProcess peer("streamable-server.mjs");
  GatewayProcess gw(write_config("gone", {{"plain", {{"url", peer.url()}}}}));
  const std::string session = initialize(gw, "plain");
  {
    RawConnection gone(gw.port());
    const std::string body =
        R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"progress","arguments":{"steps":1,"delay_ms":200}}})";
    ASSERT_TRUE(gone.send("POST /servers/plain/mcp HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(gw.port()) +
                          "\r\nAccept: application/json, text/event-stream\r\nContent-Type: application/json\r\n"
                          "Mcp-Session-Id: " +
                          session + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
  }  // closed before the answer
  // The same id is "in progress" until the remote answer comes, then free.
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  net::HttpResponse again;
  do {
    again = call_tool(gw, session, 7, "echo", {{"text", "id 7 again"}});
  } while (again.status == 400 && again.body.find("already in progress") != std::string::npos &&
           std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_NE(again.body.find("id 7 again"), std::string::npos) << again.body;
}

// The remote server restarts and forgets the session: the local session's
// next request goes the blocking way once (the Bridge renews the remote
// session with the client's initialize), and every request is answered.
TEST(GatewayStreams, ARemoteSessionTheServerForgotIsRenewedAndRequestsGoOn) {
  auto peer = std::make_unique<PeerProcess>("streamable-server.mjs");
  const int port = peer->port();
  GatewayProcess gw(write_config("renew", {{"plain", {{"url", peer->url()}}}}));
  const std::string session = initialize(gw, "plain");
  ASSERT_EQ(call_tool(gw, session, 2, "echo", {{"text", "before"}}).status, 200);
  peer.reset();
  peer =
      std::make_unique<PeerProcess>("streamable-server.mjs", std::vector<std::string>{"--port", std::to_string(port)});
  for (int id = 3; id < 6; ++id) {
    const std::string text = "after the restart " + std::to_string(id);
    const auto r = call_tool(gw, session, id, "echo", {{"text", text}});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find(text), std::string::npos) << r.body;
  }
  // The renewal happened (a lost session would not answer at all, but say so).
  EXPECT_NO_THROW(gw.command().wait_for_stderr("(forgot the session)"));
}

// SIGTERM with streams of every kind open: the gateway ends each one with its
// last chunk (a clean end, not a cut connection) and exits 0.
TEST(GatewayStreams, SigtermWithStreamsOpenEndsEveryStreamAndExitsZero) {
  PeerProcess peer("streamable-server.mjs", {"--stateless"});
  GatewayProcess gw(write_config("sigterm-streams", {{"plain", {{"url", peer.url()}}}}));
  std::vector<std::unique_ptr<StreamReader>> streams;
  for (int i = 0; i < 50; ++i) {
    streams.push_back(open_stream(gw, initialize(gw, "plain")));
    ASSERT_TRUE(streams.back());
  }
  streams.push_back(std::make_unique<StreamReader>(gw, "/servers/plain/sse"));
  ASSERT_TRUE(streams.back()->until("event: endpoint")) << streams.back()->text();
  streams.push_back(std::make_unique<StreamReader>(gw, "/api/events"));
  ASSERT_TRUE(streams.back()->until("event: state")) << streams.back()->text();

  gw.command().send_signal(SIGTERM);
  for (auto& stream : streams) {
    EXPECT_TRUE(stream->until_closed());
    const std::string& text = stream->text();
    EXPECT_EQ(text.substr(text.size() - std::min<std::size_t>(text.size(), 5)), "0\r\n\r\n")
        << "the stream was cut, not ended: " << text.substr(0, 300);
  }
  const auto result = gw.command().finish(std::chrono::seconds(60));
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

}  // namespace
}  // namespace mcpauth
