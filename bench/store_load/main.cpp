// The store benchmark of the gateway for teams: the token store's operations
// as two gateway instances use them, on SQLite (one file, the embedded
// default) and on PostgreSQL 15 (a server of its own, started here as the
// tests start theirs), with USERS users x SERVERS servers of grants.
//
// Each instance is a store object of its own (its own connections, as a
// second process would have); every measurement runs from both at once,
// THREADS threads each. Reported per operation: p50/p99 latency and the
// throughput of both instances together. Then a refresh storm: every grant
// expired, STORM requests spread over both instances each run the
// gateway's single flight (update_tokens: refresh only if still expired);
// the run fails unless each grant touched was refreshed exactly once.
//
//   mcpauth_store_load [--users N] [--servers N] [--ops N] [--threads N] [--storm N] [--out FILE]
//
// Prints a Markdown section (to FILE or stdout); bench/store_load.sh adds the
// machine and writes bench/STORE_RESULTS.md. Exit 1 when a check fails.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <latch>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mcpauth/error.hpp"
#include "mcpauth/store/local_users.hpp"
#include "mcpauth/store/postgres_token_store.hpp"
#include "mcpauth/store/sqlite_token_store.hpp"
#include "platform/files.hpp"
#include "postgres_fixture.hpp"

namespace {

using namespace mcpauth;
using Clock = std::chrono::steady_clock;
using core::oauth::TokenSet;
using store::TokenKey;

struct Options {
  int users = 1000;
  int servers = 3;
  int ops = 6000;   // per measured operation, over both instances
  int threads = 4;  // per instance
  int storm = 2000;
  std::string out;
};

// Two instances sharing one database.
struct Backend {
  std::string name;
  std::shared_ptr<store::TokenStore> store[2];
  std::shared_ptr<store::UserDirectory> users[2];
};

std::string user_name(int user) {
  return "user" + std::to_string(user);
}

TokenKey key_of(int user, int server) {
  return {"https://mcp" + std::to_string(server) + ".example/mcp", "https://as.example", "client-1", user_name(user)};
}

TokenSet tokens_for(int user, int server, int generation, bool expired) {
  TokenSet t;
  const auto tag = std::to_string(user) + "-" + std::to_string(server) + "-" + std::to_string(generation);
  t.access_token = "access-" + tag + std::string(600, 'a');  // the size of a typical JWT
  t.refresh_token = "refresh-" + tag;
  t.scope = "mcp:tools offline_access";
  const auto now = store::Clock::now();
  t.issued_at = now - std::chrono::minutes(1);
  t.expires_at = expired ? now - std::chrono::seconds(1) : now + std::chrono::hours(1);
  return t;
}

std::string random_hex_key() {
  std::random_device rd;
  std::ostringstream out;
  for (int i = 0; i < 32; ++i) out << std::hex << std::setw(2) << std::setfill('0') << (rd() & 0xff);
  return out.str();
}

struct Measured {
  std::vector<double> ms;
  double seconds = 0;
};

// Runs `op(instance, thread, i)` `total` times, split over both instances x
// `threads` threads started together; each call timed.
Measured measure(int total, int threads, const std::function<void(int, std::mt19937&)>& op) {
  const int workers = 2 * threads;
  std::vector<std::vector<double>> per(static_cast<std::size_t>(workers));
  std::latch start(workers + 1);
  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) {
    pool.emplace_back([&, w] {
      std::mt19937 random(static_cast<unsigned>(w) * 7919u + 17u);
      const int count = total / workers + (w < total % workers ? 1 : 0);
      auto& samples = per[static_cast<std::size_t>(w)];
      samples.reserve(static_cast<std::size_t>(count));
      start.arrive_and_wait();
      for (int i = 0; i < count; ++i) {
        const auto t0 = Clock::now();
        op(w % 2, random);
        samples.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  }
  const auto t0 = Clock::now();
  start.arrive_and_wait();
  for (auto& t : pool) t.join();
  Measured m;
  m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (auto& samples : per) m.ms.insert(m.ms.end(), samples.begin(), samples.end());
  std::sort(m.ms.begin(), m.ms.end());
  return m;
}

double at(const Measured& m, double p) {
  if (m.ms.empty()) return 0;
  return m.ms[std::min(m.ms.size() - 1, static_cast<std::size_t>(p * static_cast<double>(m.ms.size())))];
}

std::string fixed(double value, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << value;
  return out.str();
}

struct Row {
  std::string operation;
  std::map<std::string, Measured> by_backend;
};

class Bench {
 public:
  explicit Bench(Options options) : o_(std::move(options)) {}

  int run(std::vector<Backend>& backends) {
    std::vector<Row> rows = {{"save_tokens (a new grant)", {}},
                             {"find_user_by_key (an API key, cache miss)", {}},
                             {"load_tokens (one grant)", {}},
                             {"list_grants_of (a user's status of one server)", {}},
                             {"update_tokens, keep (a request's single-flight check)", {}},
                             {"update_tokens, replace (a refresh committed)", {}},
                             {"a request missing every cache (key + grant)", {}},
                             {"list_grants (every grant: an admin's state)", {}},
                             {"refresh storm: update_tokens of expired grants", {}}};
    const int grants = o_.users * o_.servers;
    for (auto& b : backends) {
      std::cerr << "store_load: " << b.name << ": seeding " << o_.users << " users and " << grants << " grants\n";
      std::vector<std::string> api_keys;
      for (int u = 0; u < o_.users; ++u) {
        api_keys.push_back(store::new_api_key());
        b.users[0]->add_user(user_name(u), false, store::hash_api_key(api_keys.back()));
      }
      std::atomic<int> next{0};
      rows[0].by_backend[b.name] = measure(grants, o_.threads, [&](int i, std::mt19937&) {
        const int g = next++;
        b.store[i]->save_tokens(key_of(g / o_.servers, g % o_.servers),
                                tokens_for(g / o_.servers, g % o_.servers, 0, false));
      });
      const auto any_user = [&](std::mt19937& r) { return static_cast<int>(r() % static_cast<unsigned>(o_.users)); };
      const auto any_server = [&](std::mt19937& r) {
        return static_cast<int>(r() % static_cast<unsigned>(o_.servers));
      };
      std::cerr << "store_load: " << b.name << ": operations\n";
      rows[1].by_backend[b.name] = measure(o_.ops, o_.threads, [&](int i, std::mt19937& r) {
        if (!b.users[i]->find_user_by_key(store::hash_api_key(api_keys[static_cast<std::size_t>(any_user(r))]))) {
          fail("a user's key was not found");
        }
      });
      rows[2].by_backend[b.name] = measure(o_.ops, o_.threads, [&](int i, std::mt19937& r) {
        if (!b.store[i]->load_tokens(key_of(any_user(r), any_server(r)))) fail("a seeded grant was not found");
      });
      rows[3].by_backend[b.name] = measure(o_.ops, o_.threads, [&](int i, std::mt19937& r) {
        const auto key = key_of(any_user(r), any_server(r));
        if (b.store[i]->list_grants_of(key.resource, key.issuer, key.account).size() != 1) {
          fail("list_grants_of did not find exactly the user's grant");
        }
      });
      rows[4].by_backend[b.name] = measure(o_.ops, o_.threads, [&](int i, std::mt19937& r) {
        b.store[i]->update_tokens(key_of(any_user(r), any_server(r)),
                                  [](const std::optional<TokenSet>&) { return store::TokenDecision{}; });
      });
      std::atomic<int> generation{1};
      rows[5].by_backend[b.name] = measure(o_.ops, o_.threads, [&](int i, std::mt19937& r) {
        const int u = any_user(r);
        const int s = any_server(r);
        b.store[i]->update_tokens(key_of(u, s), [&](const std::optional<TokenSet>&) {
          return store::TokenDecision{store::TokenDecision::Action::replace, tokens_for(u, s, generation++, false)};
        });
      });
      rows[6].by_backend[b.name] = measure(o_.ops, o_.threads, [&](int i, std::mt19937& r) {
        const int u = any_user(r);
        if (!b.users[i]->find_user_by_key(store::hash_api_key(api_keys[static_cast<std::size_t>(u)])) ||
            !b.store[i]->load_tokens(key_of(u, any_server(r)))) {
          fail("a request's user or grant was not found");
        }
      });
      rows[7].by_backend[b.name] = measure(std::max(2, o_.ops / 300), 1, [&](int i, std::mt19937&) {
        if (b.store[i]->list_grants().size() != static_cast<std::size_t>(grants)) fail("list_grants missed grants");
      });
      rows[8].by_backend[b.name] = storm(b);
    }
    print(rows, backends);
    return failures_ == 0 ? 0 : 1;
  }

 private:
  // Every grant expired; STORM requests from both instances each refresh
  // the grant they use only if it is still expired when they hold its lock.
  Measured storm(Backend& b) {
    std::cerr << "store_load: " << b.name << ": refresh storm\n";
    for (int u = 0; u < o_.users; ++u) {
      for (int s = 0; s < o_.servers; ++s) b.store[0]->save_tokens(key_of(u, s), tokens_for(u, s, 0, true));
    }
    std::mutex mutex;
    std::map<std::string, int> refreshed;
    std::set<std::string> touched;
    std::atomic<int> generation{1};
    auto m = measure(o_.storm, o_.threads * 4, [&](int i, std::mt19937& r) {
      const int u = static_cast<int>(r() % static_cast<unsigned>(o_.users));
      const int s = static_cast<int>(r() % static_cast<unsigned>(o_.servers));
      const auto key = key_of(u, s);
      {
        std::lock_guard lock(mutex);
        touched.insert(key.resource + " " + key.account);
      }
      b.store[i]->update_tokens(key, [&](const std::optional<TokenSet>& current) {
        if (current && current->expires_at && *current->expires_at > store::Clock::now()) return store::TokenDecision{};
        {
          std::lock_guard lock(mutex);
          ++refreshed[key.resource + " " + key.account];
        }
        return store::TokenDecision{store::TokenDecision::Action::replace, tokens_for(u, s, generation++, false)};
      });
    });
    int twice = 0;
    for (const auto& [grant, count] : refreshed) twice += count > 1 ? 1 : 0;
    storm_summary_[b.name] = std::to_string(o_.storm) + " requests on " + std::to_string(touched.size()) +
                             " grants: " + std::to_string(refreshed.size()) + " refreshes, " + std::to_string(twice) +
                             " grants refreshed twice";
    if (refreshed.size() != touched.size() || twice != 0) fail(b.name + ": a grant was not refreshed exactly once");
    return m;
  }

  void fail(const std::string& what) {
    std::lock_guard lock(fail_mutex_);
    if (failures_++ < 5) std::cerr << "store_load: FAILED: " << what << "\n";
  }

  void print(const std::vector<Row>& rows, const std::vector<Backend>& backends) {
    std::ostringstream md;
    md << "Users: " << o_.users << "; servers: " << o_.servers << "; grants: " << o_.users * o_.servers
       << "; two instances, " << o_.threads << " threads each (the storm: " << o_.threads * 4 << " each); " << o_.ops
       << " calls per operation.\n\n| operation |";
    for (const auto& b : backends) md << " " << b.name << " p50 ms | p99 ms | calls/s |";
    if (backends.size() == 2) md << " p50 " << backends[1].name << " / " << backends[0].name << " |";
    md << "\n| --- |";
    for (std::size_t i = 0; i < backends.size(); ++i) md << " ---: | ---: | ---: |";
    if (backends.size() == 2) md << " ---: |";
    md << "\n";
    for (const auto& row : rows) {
      md << "| " << row.operation << " |";
      for (const auto& b : backends) {
        const auto& m = row.by_backend.at(b.name);
        md << " " << fixed(at(m, 0.5), 3) << " | " << fixed(at(m, 0.99), 3) << " | "
           << fixed(m.seconds > 0 ? static_cast<double>(m.ms.size()) / m.seconds : 0, 0) << " |";
      }
      if (backends.size() == 2) {
        const double base = at(row.by_backend.at(backends[0].name), 0.5);
        md << " " << (base > 0 ? fixed(at(row.by_backend.at(backends[1].name), 0.5) / base, 2) + "x" : "-") << " |";
      }
      md << "\n";
    }
    md << "\nRefresh storm:\n";
    for (const auto& b : backends) md << "- " << b.name << ": " << storm_summary_[b.name] << "\n";
    md << "\nChecks: " << (failures_ == 0 ? "all passed" : std::to_string(failures_) + " FAILED") << "\n";
    if (o_.out.empty()) {
      std::cout << md.str();
    } else {
      std::ofstream(o_.out) << md.str();
    }
  }

  Options o_;
  std::mutex fail_mutex_;
  int failures_ = 0;
  std::map<std::string, std::string> storm_summary_;
};

int parse_int(const std::string& flag, const char* value) {
  try {
    const int n = std::stoi(value);
    if (n > 0) return n;
  } catch (const std::exception&) {
  }
  std::cerr << "store_load: " << flag << " needs a positive number\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "store_load: " << flag
                << " needs a value (see the comment at the top of bench/store_load/main.cpp)\n";
      return 2;
    }
    const char* value = argv[++i];
    if (flag == "--users")
      o.users = parse_int(flag, value);
    else if (flag == "--servers")
      o.servers = parse_int(flag, value);
    else if (flag == "--ops")
      o.ops = parse_int(flag, value);
    else if (flag == "--threads")
      o.threads = parse_int(flag, value);
    else if (flag == "--storm")
      o.storm = parse_int(flag, value);
    else if (flag == "--out")
      o.out = value;
    else {
      std::cerr << "store_load: unknown option " << flag << "\n";
      return 2;
    }
  }
  try {
    const auto dir = test_platform::make_temp_dir("mcpauth-store-load");
    const std::string key = random_hex_key();
    std::vector<Backend> backends(2);
    backends[0].name = "SQLite";
    for (int i = 0; i < 2; ++i) {
      store::SqliteStoreOptions options;
      options.path = dir / "store.db";
      options.key = key;
      options.use_keyring = false;
      backends[0].store[i] = store::open_sqlite_token_store(options);
    }
    mcpauth::testing::PostgresServer server;
    const std::string url = server.create_database("store_load");
    backends[1].name = "PostgreSQL";
    for (int i = 0; i < 2; ++i) {
      store::PostgresStoreOptions options;
      options.url = url;
      options.key = key;
      backends[1].store[i] = store::open_postgres_token_store(options);
    }
    for (auto& b : backends) {
      for (int i = 0; i < 2; ++i) b.users[i] = store::user_directory(b.store[i]);
    }
    const int code = Bench(o).run(backends);
    backends.clear();  // close every connection before the server stops
    std::filesystem::remove_all(dir);
    return code;
  } catch (const std::exception& e) {
    std::cerr << "store_load: " << e.what() << "\n";
    return 1;
  }
}
