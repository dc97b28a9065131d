// `mcpauth probe URL [--json]` against real peers: what each server needs
// (nothing, a static token, OAuth, ...), and that probing leaves no trace: no
// client registration at the authorization server, no token store, no browser.
// Plus auth::probe in-process for the answers the CLI tests do not reach, and
// probe's --header, --transport and --allow-http.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpauth/auth/probe.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "oidc_peer.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

namespace fs = std::filesystem;
using mcp::Json;
// Named here: clang 14 does not find these unqualified inside the tests (GCC does).
using testing::cli;
using testing::CommandResult;
using testing::PeerProcess;
using testing::run_command;

// Each probe gets its own data and config folders under the test's home (so
// a store another test made in this process cannot hide one made here) and a
// $BROWSER that leaves a mark if anything ever starts it.
class ProbeRun {
 public:
  explicit ProbeRun(const std::string& name) : home_(testing::test_home() + "/probe-" + name) {
    fs::create_directories(home_);
  }

  testing::CommandResult run(const std::string& url, bool json = true) const {
    std::vector<std::string> argv = testing::cli({"probe", url});
    if (json) argv.push_back("--json");
    return testing::run_command(argv, {"XDG_DATA_HOME=" + data_home(), "XDG_CONFIG_HOME=" + home_ + "/config",
                                       "BROWSER=/usr/bin/touch " + browser_mark()});
  }

  std::string data_home() const { return home_ + "/data"; }
  std::string browser_mark() const { return home_ + "/browser-was-started"; }

  // Nothing was stored (no token store, nor anything else) and no browser was started.
  void expect_no_trace() const {
    EXPECT_FALSE(fs::exists(data_home() + "/mcpauth/tokens.db"));
    EXPECT_FALSE(fs::exists(data_home())) << "the probe wrote under " << data_home();
    EXPECT_FALSE(fs::exists(home_ + "/config")) << "the probe wrote under " << home_ << "/config";
    EXPECT_FALSE(fs::exists(browser_mark())) << "the probe started a browser";
  }

 private:
  std::string home_;
};

Json parse_json(const testing::CommandResult& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const Json doc = Json::parse(r.out, nullptr, false);
  EXPECT_TRUE(doc.is_object()) << r.out;
  return doc.is_object() ? doc : Json::object();
}

// Each key of `expected` has that value in the probe's --json answer (null: a JSON null).
void expect_fields(const Json& doc, const Json& expected) {
  for (const auto& [key, value] : expected.items()) EXPECT_EQ(doc.at(key), value) << key << " in " << doc.dump();
}

// The keys --json always prints, whatever the answer.
void expect_stable_keys(const Json& doc) {
  for (const char* key : {"server", "needs", "transport", "status", "issuer", "resource", "scope", "registration",
                          "device_grant", "pkce_s256", "reason", "metadata_error"}) {
    EXPECT_TRUE(doc.contains(key)) << key << " missing in " << doc.dump();
  }
}

// The probe's --json answer for `url`, with every key it always prints.
Json probe_json(const ProbeRun& probe, const std::string& url) {
  const Json doc = parse_json(probe.run(url));
  expect_stable_keys(doc);
  return doc;
}

// The probe's text answer for `url`: it exits 0.
testing::CommandResult probe_text(const ProbeRun& probe, const std::string& url) {
  auto text = probe.run(url, false);
  EXPECT_EQ(text.exit_code, 0) << text.err;
  return text;
}

std::string last_line(const std::string& text) {
  const auto end = text.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  const auto start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1,
                     end - (start == std::string::npos ? 0 : start + 1) + 1);
}

TEST(Probe, APlainStreamableServerNeedsNothing) {
  PeerProcess peer("streamable-server.mjs");
  ProbeRun probe("plain");
  const Json doc = probe_json(probe, peer.url());
  expect_fields(doc, {{"server", peer.url()},
                      {"needs", "none"},
                      {"transport", "streamable-http"},
                      {"status", 200},
                      {"issuer", nullptr},
                      {"registration", nullptr}});

  const auto text = probe_text(probe, peer.url());
  EXPECT_NE(text.out.find("needs no authorization (Streamable HTTP)"), std::string::npos) << text.out;
  EXPECT_EQ(last_line(text.out), "Next: `mcpauth tools " + peer.url() + "` lists its tools.") << text.out;
  EXPECT_TRUE(text.err.empty()) << text.err;
  probe.expect_no_trace();
}

TEST(Probe, ALegacySseServerNeedsNothing) {
  PeerProcess peer("sse-server.mjs");
  ProbeRun probe("sse");
  const Json doc = probe_json(probe, peer.url("/sse"));
  expect_fields(doc, {{"needs", "none"}, {"transport", "sse"}, {"status", 200}});

  const auto text = probe_text(probe, peer.url("/sse"));
  EXPECT_NE(text.out.find("needs no authorization (legacy HTTP+SSE)"), std::string::npos) << text.out;
  probe.expect_no_trace();
}

TEST(Probe, AServerThatWantsAHeaderTakesAStaticToken) {
  PeerProcess peer("streamable-server.mjs", {"--require-header", "Authorization: Bearer s3cret"});
  ProbeRun probe("static");
  const Json doc = probe_json(probe, peer.url());
  expect_fields(doc, {{"needs", "static_token"}, {"status", 401}});
  EXPECT_TRUE(doc.at("transport").is_null()) << "refused before it said which transport it speaks";
  ASSERT_TRUE(doc.at("reason").is_string());
  EXPECT_NE(doc.at("reason").get<std::string>().find("publishes no OAuth metadata"), std::string::npos) << doc.dump();
  expect_fields(doc, {{"metadata_error", nullptr}, {"issuer", nullptr}});

  const auto text = probe_text(probe, peer.url());
  EXPECT_EQ(last_line(text.out).rfind("Next: it takes a static token: pass it with --header \"Authorization: Bearer "
                                      "...\"",
                                      0),
            0u)
      << text.out;
  probe.expect_no_trace();
}

TEST(Probe, TheSdkOAuthServerRegistersDynamically) {
  PeerProcess peer("oauth-server.mjs");
  ProbeRun probe("oauth");
  const Json doc = probe_json(probe, peer.url());
  expect_fields(doc, {{"needs", "oauth"}, {"status", 401}});
  ASSERT_TRUE(doc.at("issuer").is_string()) << doc.dump();
  EXPECT_TRUE(std::regex_match(doc.at("issuer").get<std::string>(), std::regex("http://localhost:[0-9]+/")))
      << doc.dump();
  expect_fields(doc, {{"resource", peer.url()},
                      {"scope", "mcp:tools"},
                      {"registration", "dynamic"},
                      {"device_grant", false},
                      {"pkce_s256", true},
                      {"metadata_error", nullptr}});

  const auto text = probe_text(probe, peer.url());
  EXPECT_NE(text.out.find("  issuer:        " + doc.at("issuer").get<std::string>() + "\n"), std::string::npos)
      << text.out;
  EXPECT_EQ(last_line(text.out), "Next: mcpauth can register itself: run `mcpauth login " + peer.url() + "`.")
      << text.out;
  probe.expect_no_trace();  // the SDK's demo AS keeps no log: the oidc test checks its registrations
}

TEST(Probe, TheOidcProviderRegistersDynamicallyAndOffersTheDeviceGrant) {
  PeerProcess peer("oidc-server.mjs");
  ProbeRun probe("oidc");
  const Json doc = probe_json(probe, peer.url());
  EXPECT_EQ(doc.at("needs"), "oauth");
  ASSERT_TRUE(doc.at("issuer").is_string()) << doc.dump();
  EXPECT_TRUE(std::regex_match(doc.at("issuer").get<std::string>(), std::regex("http://localhost:[0-9]+/oidc")))
      << doc.dump();
  expect_fields(doc, {{"resource", peer.url()},
                      {"scope", "mcp:tools"},
                      {"registration", "dynamic"},
                      {"device_grant", true},
                      {"pkce_s256", true}});

  const auto text = probe_text(probe, peer.url());
  EXPECT_NE(text.out.find("  device grant:  yes (without a browser: `mcpauth login " + peer.url() + " --device`)\n"),
            std::string::npos)
      << text.out;

  // The authorization server saw metadata GETs only: no registration, no authorization, no token request.
  const Json requests = testing::as_requests(peer);
  ASSERT_FALSE(requests.empty());
  for (const auto& r : requests) {
    EXPECT_EQ(r.at("method"), "GET") << requests.dump();
    EXPECT_NE(r.at("path").get<std::string>().find(".well-known/"), std::string::npos) << requests.dump();
    EXPECT_NE(r.at("path"), "/oidc/reg") << requests.dump();
  }
  // And the resource server saw one unauthenticated request per probe.
  const Json rs = testing::rs_requests(peer);
  ASSERT_EQ(rs.size(), 2u) << rs.dump();
  for (const auto& r : rs) {
    EXPECT_EQ(r.at("scheme"), "") << rs.dump();
    EXPECT_EQ(r.at("status"), 401) << rs.dump();
  }
  probe.expect_no_trace();
}

// evil-oauth-server --mode issuer-mismatch: the AS metadata names another
// issuer than the PRM. Discovery refuses it, so mcpauth cannot log in there:
// a static token is the only way, and the probe says why.
TEST(Probe, MetadataThatFailsACheckIsReportedAsStaticTokenWithTheReason) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "issuer-mismatch"});
  ProbeRun probe("evil");
  const Json doc = probe_json(probe, peer.url());
  expect_fields(doc, {{"needs", "static_token"}, {"status", 401}, {"metadata_error", "issuer_mismatch"}});
  ASSERT_TRUE(doc.at("reason").is_string());
  EXPECT_NE(doc.at("reason").get<std::string>().find("/someone-else"), std::string::npos) << doc.dump();
  EXPECT_TRUE(doc.at("issuer").is_null());

  const auto text = probe_text(probe, peer.url());
  EXPECT_NE(
      text.out.find("  reason: the server answered HTTP 401, but its OAuth metadata is unusable (issuer_mismatch)"),
      std::string::npos)
      << text.out;
  EXPECT_EQ(last_line(text.out).rfind("Next: mcpauth will not log in there", 0), 0u) << text.out;

  // Only the POST and the metadata GETs, on both listeners: nothing was registered or authorized.
  const Json log = testing::get_json(peer.url("/__log"));
  for (const auto& r : log) {
    const std::string line = r.at("server").get<std::string>() + " " + r.at("method").get<std::string>() + " " +
                             r.at("path").get<std::string>();
    EXPECT_TRUE(line == "rs POST /mcp" || line == "rs GET /.well-known/oauth-protected-resource/mcp" ||
                line == "as GET /.well-known/oauth-authorization-server")
        << line << "\n"
        << log.dump();
    EXPECT_TRUE(r.at("authorization").is_null()) << log.dump();
  }
  probe.expect_no_trace();
}

TEST(Probe, AnAuthorizationServerWithoutS256IsOAuthThatMcpauthRefuses) {
  PeerProcess peer("evil-oauth-server.mjs", {"--mode", "no-s256"});
  ProbeRun probe("no-s256");
  const Json doc = parse_json(probe.run(peer.url()));
  expect_fields(doc, {{"needs", "oauth"}, {"pkce_s256", false}, {"registration", "dynamic"}});
  ASSERT_TRUE(doc.at("reason").is_string());
  EXPECT_NE(doc.at("reason").get<std::string>().find("S256"), std::string::npos) << doc.dump();

  const auto text = probe_text(probe, peer.url());
  EXPECT_NE(text.out.find("  PKCE S256:     no: mcpauth will refuse to authorize there\n"), std::string::npos)
      << text.out;
  EXPECT_EQ(last_line(text.out).rfind("Next: mcpauth will not log in there (MCP requires PKCE S256)", 0), 0u)
      << text.out;
  probe.expect_no_trace();
}

TEST(Probe, FailuresAreErrorsWithTheUsualExitCodes) {
  {
    PeerProcess peer("bad-server.mjs", {"--mode", "status-500"});
    ProbeRun probe("500");
    const auto r = probe.run(peer.url());
    EXPECT_EQ(r.exit_code, 4) << r.err;  // http_status
    EXPECT_NE(r.err.find("HTTP 500"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  {
    PeerProcess peer("streamable-server.mjs");
    ProbeRun probe("404");
    const auto r = probe.run(peer.url("/not-mcp"));
    EXPECT_EQ(r.exit_code, 4) << r.err;  // 404 to the POST and to the GET
    EXPECT_NE(r.err.find("HTTP 404"), std::string::npos) << r.err;
  }
  {
    PeerProcess peer("streamable-server.mjs");
    const std::string url = peer.url();
    peer.stop();
    ProbeRun probe("down");
    const auto r = probe.run(url);
    EXPECT_EQ(r.exit_code, 3) << r.err;  // connection
  }
}

// ---------------------------------------------------------------- auth::probe in-process

auth::ProbeResult probe_in_process(const std::string& url) {
  auth::ProbeOptions options;
  options.server_url = url;
  options.http = std::make_shared<net::CurlHttpClient>();
  options.timeout = std::chrono::seconds(10);
  return auth::probe(options);
}

TEST(Probe, AModernOnlyServerRefusingTheHandshakeStillNeedsNothing) {
  // 400 + UnsupportedProtocolVersion (-32022): the server read the request without credentials.
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  const auto result = probe_in_process(peer.url());
  EXPECT_EQ(result.needs, auth::ProbeResult::Needs::nothing);
  EXPECT_EQ(result.transport, "streamable-http");
  EXPECT_EQ(result.status, 400);
}

TEST(Probe, OAuthInFrontOfALegacySseServerIsFoundFromThePost) {
  // oauth-server --sse guards POST /sse too, so the POST's 401 decides; the
  // transport stays unknown until a token is sent.
  PeerProcess peer("oauth-server.mjs", {"--sse"});
  const auto result = probe_in_process(peer.url("/sse"));
  EXPECT_EQ(result.needs, auth::ProbeResult::Needs::oauth);
  EXPECT_EQ(result.resource, peer.url("/sse"));
  EXPECT_EQ(result.registration, auth::ProbeResult::Registration::dynamic);
}

TEST(Probe, AStatefulSessionOpenedByTheProbeIsDeleted) {
  // The initialize POST of a stateful server opens a session; the probe ends
  // it with DELETE, so the session id no longer works afterwards.
  PeerProcess peer("streamable-server.mjs");
  struct Recorder final : net::HttpClient {
    std::shared_ptr<net::HttpClient> inner = std::make_shared<net::CurlHttpClient>();
    std::vector<std::string> lines;
    std::optional<std::string> session;
    net::HttpResponse send(const net::HttpRequest& request, net::CancelToken* cancel) override {
      lines.push_back(request.method + " " + request.headers.get("Mcp-Session-Id").value_or("-"));
      auto response = inner->send(request, cancel);
      lines.back() += " " + std::to_string(response.status);
      return response;
    }
    void stream(const net::HttpRequest& request, net::HttpStreamHandler& handler, net::CancelToken* cancel) override {
      struct Tap final : net::HttpStreamHandler {
        net::HttpStreamHandler& next;
        Recorder& owner;
        Tap(net::HttpStreamHandler& n, Recorder& o) : next(n), owner(o) {}
        bool on_response_start(int status, const net::HttpHeaders& headers) override {
          owner.lines.back() += " " + std::to_string(status);
          if (auto id = headers.get("Mcp-Session-Id")) owner.session = id;
          return next.on_response_start(status, headers);
        }
        bool on_body(std::string_view chunk) override { return next.on_body(chunk); }
      } tap(handler, *this);
      lines.push_back(request.method + " " + request.headers.get("Mcp-Session-Id").value_or("-"));
      inner->stream(request, tap, cancel);
    }
  };
  auto recorder = std::make_shared<Recorder>();
  auth::ProbeOptions options;
  options.server_url = peer.url();
  options.http = recorder;
  const auto result = auth::probe(options);
  EXPECT_EQ(result.needs, auth::ProbeResult::Needs::nothing);
  ASSERT_TRUE(recorder->session.has_value());
  ASSERT_EQ(recorder->lines.size(), 2u);
  EXPECT_EQ(recorder->lines[0], "POST - 200");
  EXPECT_EQ(recorder->lines[1], "DELETE " + *recorder->session + " 200");
}

TEST(Probe, ABadUrlIsAUsageError) {
  try {
    probe_in_process("ftp://example.com/mcp");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::usage);
  }
}

// --header, --transport and --allow-http mean what they mean for the other commands.
TEST(ProbeOptions, HeaderIsSentToTheServerAndExpandsFromTheEnvironment) {
  PeerProcess peer("streamable-server.mjs", {"--require-header", "Authorization: Bearer t0ken-42"});
  EXPECT_EQ(parse_json(run_command(cli({"probe", peer.url(), "--json"})))["needs"], "static_token");

  const Json accepted = parse_json(run_command(
      cli({"probe", peer.url(), "--json", "-H", "Authorization: Bearer ${MY_TOKEN}"}), {"MY_TOKEN=t0ken-42"}));
  EXPECT_EQ(accepted["needs"], "none") << accepted.dump();
  EXPECT_EQ(accepted["transport"], "streamable-http");

  const CommandResult wrong = run_command(cli({"probe", peer.url(), "--header", "Authorization: Bearer nope"}));
  EXPECT_EQ(wrong.exit_code, 0) << wrong.err;
  EXPECT_NE(wrong.out.find("answers HTTP 401"), std::string::npos) << wrong.out;
  EXPECT_EQ(wrong.out.find("nope"), std::string::npos) << "a header value is never printed";

  const CommandResult bad = run_command(cli({"probe", peer.url(), "-H", "no colon"}));
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

TEST(ProbeOptions, TransportChoosesWhichRequestsAreTried) {
  PeerProcess streamable("streamable-server.mjs");
  PeerProcess sse("sse-server.mjs");

  // auto (the default) finds either.
  EXPECT_EQ(parse_json(run_command(cli({"probe", sse.url("/sse"), "--json"})))["transport"], "sse");
  // http: the legacy GET is not tried, and the error says why.
  const CommandResult http_on_sse = run_command(cli({"probe", sse.url("/sse"), "--transport", "http"}));
  EXPECT_EQ(http_on_sse.exit_code, 4) << http_on_sse.err;
  EXPECT_NE(http_on_sse.err.find("not a Streamable HTTP endpoint (--transport http"), std::string::npos)
      << http_on_sse.err;
  EXPECT_EQ(parse_json(run_command(cli({"probe", streamable.url(), "--json", "-t", "http-only"})))["transport"],
            "streamable-http");
  // sse: no POST is sent; a Streamable HTTP endpoint does not answer the legacy GET with a stream.
  EXPECT_EQ(parse_json(run_command(cli({"probe", sse.url("/sse"), "--json", "-t", "sse"})))["transport"], "sse");
  const CommandResult sse_on_streamable = run_command(cli({"probe", streamable.url(), "--transport", "sse-only"}));
  EXPECT_NE(sse_on_streamable.exit_code, 0) << sse_on_streamable.out;
  EXPECT_EQ(sse_on_streamable.err.find("the POST answered"), std::string::npos)
      << "no POST was sent: " << sse_on_streamable.err;
  EXPECT_NE(sse_on_streamable.err.find("--transport sse: no Streamable HTTP POST was sent"), std::string::npos)
      << sse_on_streamable.err;

  EXPECT_EQ(run_command(cli({"probe", streamable.url(), "--transport", "carrier-pigeon"})).exit_code, 2);
}

// Plain http off loopback would carry the probe's headers in clear: refused
// unless the user says it is a test server, as for the other commands.
TEST(ProbeOptions, PlainHttpOffLoopbackNeedsAllowHttp) {
  CommandResult r = run_command(cli({"probe", "http://192.0.2.1:9/mcp"}));
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("--allow-http"), std::string::npos) << r.err;
  // Allowed, it gets as far as connecting (TEST-NET-1: nothing answers).
  r = run_command(cli({"probe", "http://192.0.2.1:9/mcp", "--allow-http", "--timeout", "1"}));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.err.find("--allow-http"), std::string::npos) << r.err;
  // Loopback needs no opt-in.
  PeerProcess peer("streamable-server.mjs");
  EXPECT_EQ(parse_json(run_command(cli({"probe", peer.url(), "--json"})))["needs"], "none");
}

}  // namespace
}  // namespace mcpauth
