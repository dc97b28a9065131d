#include "postgres_fixture.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "peer_process.hpp"
#include "platform/files.hpp"
#include "platform/users.hpp"

namespace mcpauth::testing {
namespace {

std::string random_hex(int bytes) {
  std::random_device rd;
  const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    const unsigned b = rd() & 0xff;
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

// A port nothing listens on now (the kernel's pick); the server binds it next.
int free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io);
  boost::system::error_code ec;
  probe.open(boost::asio::ip::tcp::v4(), ec);
  if (!ec) probe.bind({boost::asio::ip::address_v4::loopback(), 0}, ec);
  const auto endpoint = ec ? boost::asio::ip::tcp::endpoint() : probe.local_endpoint(ec);
  if (ec) throw std::runtime_error("no free loopback port");
  return endpoint.port();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void require_ok(const CommandResult& r, const std::string& what, const std::string& log = {}) {
  if (r.exit_code != 0) {
    throw std::runtime_error(what + " failed (exit " + std::to_string(r.exit_code) + "): " + r.out + r.err + log);
  }
}

}  // namespace

PostgresServer::PostgresServer() {
  const char* given = std::getenv("MCPAUTH_PG_BINDIR");
  bindir_ = given && *given ? given : "/usr/lib/postgresql/15/bin";
  if (!std::filesystem::exists(bin("initdb"))) {
    throw std::runtime_error(bin("initdb") + " is missing: install postgresql-15 (scripts/install-deps.sh)");
  }
  as_postgres_ = test_platform::running_as_root();
  // In /tmp itself, not $TMPDIR: the server's Unix socket goes in it, and its path is short.
  dir_ = test_platform::make_temp_dir("mcpauth-pg", "/tmp").string();
  password_ = "pw-" + random_hex(12);
  if (as_postgres_) test_platform::give_to_user(dir_, "postgres");
  {
    std::ofstream(dir_ + "/pwfile") << password_ << "\n";
    if (as_postgres_) test_platform::give_to_user(dir_ + "/pwfile", "postgres");
  }
  require_ok(run_command(as_owner({bin("initdb"), "-D", dir_ + "/data", "-U", "mcpauth", "--auth=scram-sha-256",
                                   "--pwfile=" + dir_ + "/pwfile", "--no-sync", "-E", "UTF8", "--locale=C"}),
                         {}, std::chrono::seconds(120)),
             "initdb");
  // A port picked just before the start may be taken meanwhile: try a few.
  for (int attempt = 0; attempt < 3 && !started_; ++attempt) {
    port_ = free_port();
    const CommandResult r = run_command(
        as_owner({bin("pg_ctl"), "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-w", "-t", "60", "-o",
                  "-p " + std::to_string(port_) + " -k " + dir_ + " -c listen_addresses=127.0.0.1 -c fsync=off",
                  "start"}),
        {}, std::chrono::seconds(90));
    started_ = r.exit_code == 0;
    if (!started_ && attempt == 2) require_ok(r, "pg_ctl start", read_file(dir_ + "/server.log"));
  }
  require_ok(run_command({bin("pg_isready"), "-h", "127.0.0.1", "-p", std::to_string(port_)}), "pg_isready");
}

PostgresServer::~PostgresServer() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void PostgresServer::stop() {
  if (started_) run_command(as_owner({bin("pg_ctl"), "-D", dir_ + "/data", "-m", "fast", "-w", "stop"}));
  started_ = false;
}

std::string PostgresServer::bin(const std::string& program) const {
  return bindir_ + "/" + program;
}

std::vector<std::string> PostgresServer::as_owner(std::vector<std::string> argv) const {
  if (!as_postgres_) return argv;
  argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  return argv;
}

std::string PostgresServer::url(const std::string& dbname) const {
  return "postgresql://mcpauth:" + password_ + "@127.0.0.1:" + std::to_string(port_) + "/" + dbname;
}

std::string PostgresServer::create_database(const std::string& dbname) const {
  psql("postgres", "CREATE DATABASE \"" + dbname + "\"");
  return url(dbname);
}

std::string PostgresServer::psql(const std::string& dbname, const std::string& sql) const {
  const CommandResult r =
      run_command({bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-d", url(dbname), "-c", sql});
  require_ok(r, "psql");
  return r.out;
}

}  // namespace mcpauth::testing
