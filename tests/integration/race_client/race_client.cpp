// store_race_client: one process of the store race tests
// (tests/integration/store_race_test.cpp). Several of these run at once
// against one token store (a SQLite file, or a PostgreSQL database when
// --store is a postgresql:// URL), the way several mcpauth commands of one
// user (or several gateway instances) do, each with several threads that
// each have their own Authorizer (sharing the process's one store instance)
// and their own Session.
//
//   store_race_client --url URL --store PATH|URL --key KEY [--threads N]
//                     [--consent none|loopback] [--hold-consent]
//                     [--refresh-margin SECONDS]
//                     [--until-epoch-ms T --tool NAME]
//   store_race_client --store PATH|URL --key KEY --increment M [--threads N]
//   store_race_client --store PATH|URL --key KEY --claim FLOW_KEY [--ttl SECONDS]
//
// --increment: no server; every thread adds 1 to a counter kept as the
// access token of one grant, M times, each in its own update_tokens(): the
// final value proves no update was lost (the store's single flight).
// --claim: claims FLOW_KEY once, prints "claimed=1" or "claimed=0" on
// stdout, then waits for a line (or EOF) on stdin, releases the claim if it
// holds it, and prints "released".
//
// Without --until-epoch-ms every thread connects and lists the tools once;
// with it every thread calls --tool (echo: its arguments are {text}) again
// and again until the wall clock reaches T (ms since the Unix epoch). A
// thread stops at its first failure.
//
// --consent none: no consent handler, so a needed authorization fails with
// authorization_required instead of opening a browser. --consent loopback:
// LoopbackConsent with open_browser ($BROWSER). --hold-consent: once this
// process runs a consent (it holds the store's flow claim), print
// "race_client: holding the consent" on stderr and wait for a line (or EOF)
// on stdin before opening the browser, so a test can start a sibling while
// this one is known to be mid-consent.
//
// Output: stdout gets "tools: <names>" (list mode, once per thread) and one
// summary line, "race_client pid=P threads=N ok=K failed=F authorizations=A
// token_changes=C" (C: how often a thread's Authorizer took up a new access
// token during the calls, whoever refreshed it);
// stderr gets the Authorizer's and the consent's progress lines, one line
// per token request (thread, grant type, time, status: never a token) and
// every failure. Exit 0 when nothing failed, 1 otherwise, 2 for bad arguments.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mcpauth/auth/authorizer.hpp"
#include "mcpauth/auth/loopback_consent.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "mcpauth/store/postgres_token_store.hpp"
#include "mcpauth/store/sqlite_token_store.hpp"
#include "platform/process.hpp"

namespace {

using namespace mcpauth;

std::mutex output_mutex;

void say(const std::string& line) {
  std::lock_guard lock(output_mutex);
  std::cerr << "race_client[" << test_platform::current_pid() << "]: " << line << std::endl;
}

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "store_race_client: " << problem << "\n";
  std::exit(2);
}

struct Options {
  std::string url;
  std::string store;
  std::string key;
  int threads = 1;
  std::string consent = "none";
  bool hold_consent = false;
  int refresh_margin = 60;
  long long until_epoch_ms = 0;  // 0: list the tools once
  std::string tool = "echo";
  int increment = 0;  // --increment M: the counter race instead of calls
  std::string claim;  // --claim FLOW_KEY
  int ttl = 60;       // --ttl for --claim
};

Options parse(int argc, char** argv) {
  std::map<std::string, std::string> values;
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--hold-consent") {
      o.hold_consent = true;
    } else if (arg.rfind("--", 0) == 0 && i + 1 < argc) {
      values[arg.substr(2)] = argv[++i];
    } else {
      usage("unexpected argument " + arg);
    }
  }
  auto take = [&](const std::string& name, std::string& into) {
    if (auto it = values.find(name); it != values.end()) {
      into = it->second;
      values.erase(it);
    }
  };
  std::string threads, margin, until, increment, ttl;
  take("url", o.url);
  take("store", o.store);
  take("key", o.key);
  take("consent", o.consent);
  take("tool", o.tool);
  take("threads", threads);
  take("refresh-margin", margin);
  take("until-epoch-ms", until);
  take("increment", increment);
  take("claim", o.claim);
  take("ttl", ttl);
  if (!values.empty()) usage("unknown option --" + values.begin()->first);
  if (o.store.empty() || o.key.empty()) usage("--store and --key are required");
  if (o.url.empty() && increment.empty() && o.claim.empty()) usage("--url is required (or --increment, --claim)");
  if (o.consent != "none" && o.consent != "loopback") usage("--consent is none or loopback");
  try {
    if (!threads.empty()) o.threads = std::stoi(threads);
    if (!margin.empty()) o.refresh_margin = std::stoi(margin);
    if (!until.empty()) o.until_epoch_ms = std::stoll(until);
    if (!increment.empty()) o.increment = std::stoi(increment);
    if (!ttl.empty()) o.ttl = std::stoi(ttl);
  } catch (const std::exception&) {
    usage("--threads, --refresh-margin and --until-epoch-ms take numbers");
  }
  if (o.threads < 1) usage("--threads must be at least 1");
  return o;
}

long long epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A consent that, once this process runs it (so it holds the store's flow
// claim), says so and waits for stdin before letting the real one open the browser.
class HeldSession final : public auth::ConsentSession {
 public:
  explicit HeldSession(std::unique_ptr<auth::ConsentSession> inner) : inner_(std::move(inner)) {}
  std::string redirect_uri() const override { return inner_->redirect_uri(); }
  core::oauth::FormFields await(const auth::ConsentPrompt& prompt) override {
    say("holding the consent until stdin has a line");
    std::string line;
    std::getline(std::cin, line);  // a line or EOF: either releases it
    say("releasing the consent");
    return inner_->await(prompt);
  }

 private:
  std::unique_ptr<auth::ConsentSession> inner_;
};

class HeldConsent final : public auth::ConsentHandler {
 public:
  explicit HeldConsent(std::shared_ptr<auth::ConsentHandler> inner) : inner_(std::move(inner)) {}
  std::unique_ptr<auth::ConsentSession> begin(const std::string& issuer) override {
    return std::make_unique<HeldSession>(inner_->begin(issuer));
  }

 private:
  std::shared_ptr<auth::ConsentHandler> inner_;
};

// Which thread of this process is running (for the trace lines).
thread_local int current_thread = -1;

// Says on stderr which thread sent which token request and how it was
// answered (the grant type and status only, never a token), so a failed
// run shows which process refreshed when.
class TracingHttpClient final : public net::HttpClient {
 public:
  explicit TracingHttpClient(std::shared_ptr<net::HttpClient> inner) : inner_(std::move(inner)) {}
  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken* cancel) override {
    const auto at = request.body.find("grant_type=");
    if (at == std::string::npos) return inner_->send(request, cancel);
    const std::string grant = request.body.substr(at + 11, request.body.find('&', at) - at - 11);
    const std::string what = "thread " + std::to_string(current_thread) + ": token request grant_type=" + grant +
                             " sent at " + std::to_string(epoch_ms()) + " ms";
    try {
      auto response = inner_->send(request, cancel);
      say(what + ", answered " + std::to_string(response.status));
      return response;
    } catch (const std::exception& e) {
      say(what + ", failed: " + e.what());
      throw;
    }
  }
  void stream(const net::HttpRequest& request, net::HttpStreamHandler& handler, net::CancelToken* cancel) override {
    inner_->stream(request, handler, cancel);
  }

 private:
  std::shared_ptr<net::HttpClient> inner_;
};

struct Totals {
  std::atomic<long long> ok{0};
  std::atomic<long long> failed{0};
  std::atomic<int> authorizations{0};
  std::atomic<long long> token_changes{0};  // new access tokens the threads' Authorizers took up
};

void run_thread(int index, const Options& o, const std::shared_ptr<net::HttpClient>& http,
                const std::shared_ptr<store::TokenStore>& store, const std::shared_ptr<auth::ConsentHandler>& consent,
                Totals& totals) {
  current_thread = index;
  auth::AuthorizerOptions a;
  a.server_url = o.url;
  a.http = http;
  a.store = store;
  a.consent = consent;
  a.refresh_margin = std::chrono::seconds(o.refresh_margin);
  a.notify = [index](const std::string& line) { say("thread " + std::to_string(index) + ": " + line); };
  auto authorizer = std::make_shared<auth::Authorizer>(a);
  long long n = 0;
  std::optional<core::oauth::Clock::time_point> last_expiry;
  try {
    mcp::SessionOptions so;
    so.url = o.url;
    so.http = http;
    so.authorizer = authorizer;
    auto session = mcp::Session::connect(so);
    if (o.until_epoch_ms == 0) {
      std::string names;
      for (const auto& tool : session->list_tools()) names += (names.empty() ? "" : " ") + tool.name;
      {
        std::lock_guard lock(output_mutex);
        std::cout << "tools: " << names << std::endl;
      }
      ++totals.ok;
    } else {
      while (epoch_ms() < o.until_epoch_ms) {
        const std::string text = "t" + std::to_string(index) + "-" + std::to_string(n);
        const auto result = session->call_tool(o.tool, {{"text", text}});
        const auto& content = result.result.at("content");
        if (result.is_error() || content.empty() || content.at(0).value("text", "") != text) {
          throw std::runtime_error("unexpected result " + result.result.dump());
        }
        ++totals.ok;
        ++n;
        const auto info = authorizer->info();
        const auto expires = info ? info->expires_at : std::nullopt;
        if (n > 1 && expires != last_expiry) ++totals.token_changes;
        last_expiry = expires;
      }
    }
    session->close();
  } catch (const std::exception& e) {
    ++totals.failed;
    say("thread " + std::to_string(index) + " failed after " + std::to_string(n) + " calls: " + e.what());
  }
  totals.authorizations += authorizer->authorizations();
}

std::shared_ptr<store::TokenStore> open_store(const Options& o) {
  if (store::is_postgres_url(o.store)) {
    store::PostgresStoreOptions po;
    po.url = o.store;
    po.key = o.key;
    return store::open_postgres_token_store(po);
  }
  store::SqliteStoreOptions so;
  so.path = o.store;
  so.key = o.key;
  so.use_keyring = false;
  return store::open_sqlite_token_store(so);
}

// --increment: M read-modify-writes of one counter per thread.
void run_increments(const Options& o, store::TokenStore& store, Totals& totals) {
  const store::TokenKey key{"race:counter", "race", "race", ""};
  std::vector<std::thread> threads;
  for (int i = 0; i < o.threads; ++i) {
    threads.emplace_back([&] {
      try {
        for (int n = 0; n < o.increment; ++n) {
          store.update_tokens(key, [](const std::optional<core::oauth::TokenSet>& current) {
            core::oauth::TokenSet next;
            next.token_type = "Bearer";
            next.access_token = std::to_string(current ? std::stoll(current->access_token) + 1 : 1);
            return store::TokenDecision::replace(next);
          });
          ++totals.ok;
        }
      } catch (const std::exception& e) {
        ++totals.failed;
        say(std::string("increment failed: ") + e.what());
      }
    });
  }
  for (auto& t : threads) t.join();
}

// --claim: one claim, held until the test says so.
void run_claim(const Options& o, store::TokenStore& store) {
  const bool claimed = store.claim_flow(o.claim, std::chrono::seconds(o.ttl));
  std::cout << "claimed=" << (claimed ? 1 : 0) << std::endl;
  std::string line;
  std::getline(std::cin, line);
  if (claimed) store.release_flow(o.claim);
  std::cout << "released" << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  Totals totals;
  try {
    auto store = open_store(o);
    if (!o.claim.empty()) {
      run_claim(o, *store);
      return 0;
    }
    if (o.increment > 0) {
      run_increments(o, *store, totals);
      std::cout << "race_client pid=" << test_platform::current_pid() << " threads=" << o.threads << " ok=" << totals.ok
                << " failed=" << totals.failed << " authorizations=0 token_changes=0" << std::endl;
      return totals.failed == 0 ? 0 : 1;
    }
    std::shared_ptr<net::HttpClient> http =
        std::make_shared<TracingHttpClient>(std::make_shared<net::CurlHttpClient>());
    std::shared_ptr<auth::ConsentHandler> consent;
    if (o.consent == "loopback") {
      auth::LoopbackConsentOptions lo;
      lo.open_browser = true;
      lo.notify = say;
      consent = std::make_shared<auth::LoopbackConsent>(lo);
      if (o.hold_consent) consent = std::make_shared<HeldConsent>(consent);
    }
    std::vector<std::thread> threads;
    for (int i = 0; i < o.threads; ++i) {
      threads.emplace_back([&, i] { run_thread(i, o, http, store, consent, totals); });
    }
    for (auto& t : threads) t.join();
  } catch (const std::exception& e) {
    ++totals.failed;
    say(std::string("cannot start: ") + e.what());
  }
  std::cout << "race_client pid=" << test_platform::current_pid() << " threads=" << o.threads << " ok=" << totals.ok
            << " failed=" << totals.failed << " authorizations=" << totals.authorizations
            << " token_changes=" << totals.token_changes << std::endl;
  return totals.failed == 0 ? 0 : 1;
}
