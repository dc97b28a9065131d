// http::Server's stop with a handler still running (the e2e.dashboard hang):
// the I/O threads must outlive the handlers, whose writes they carry.
#include "http_server.hpp"

#include "test_gate.hpp"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace mcpauth::gateway::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

bool accepts(asio::io_context& io, int port) {
  tcp::socket probe(io);
  boost::system::error_code ec;
  probe.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(port)), ec);
  return !ec;
}

// A stream with one event, then its end.
class EndedStream final : public StreamSource {
 public:
  void open(Wake) override {}
  Chunk take() override { return {"data: x\n\n", true}; }
  void closed() override {}
};

void run_stop_with_handler_inside(bool streamed) {
  test_support::Gate gate;  // holds the handler inside until the test lets it go
  Router router;
  router.add("GET", "/slow", 0, [&](const Request&, Response& res) {
    gate.arrive_and_wait();
    if (streamed) {
      res.set_stream("text/event-stream", std::make_shared<EndedStream>());
    } else {
      res.set_content("late", "text/plain");
    }
  });
  ServerOptions options;
  options.io_threads = 2;
  Server server(options, std::move(router));
  const int port = server.bind();
  server.serve();

  asio::io_context io;
  tcp::socket client(io);
  client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(port)));
  const std::string request = "GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  asio::write(client, asio::buffer(request));
  gate.wait_for_arrivals(1);

  auto stopped = std::async(std::launch::async, [&] { server.stop(); });
  // The listener closes first; every connection is then closed and nothing
  // is left for the I/O threads to do but the handler's coming write.
  while (accepts(io, port)) std::this_thread::yield();
  gate.open();

  // A deadlock bound, not a speed one: the stop needs a few milliseconds.
  ASSERT_EQ(stopped.wait_for(std::chrono::seconds(60)), std::future_status::ready)
      << "stop() hung waiting for a handler whose write never ran";
  stopped.get();
}

TEST(HttpServer, StopEndsWhenAStreamingHandlerWritesAfterEveryConnectionClosed) {
  run_stop_with_handler_inside(true);
}

TEST(HttpServer, StopEndsWhenAPlainHandlerAnswersAfterEveryConnectionClosed) {
  run_stop_with_handler_inside(false);
}

}  // namespace
}  // namespace mcpauth::gateway::http

namespace mcpauth::gateway::http {
namespace {

// Records where it was made and halted: on which thread, and which thread
// the route's handler ran on.
struct CompanionLog {
  std::mutex mutex;
  std::set<std::thread::id> made_on;
  std::set<std::thread::id> halted_on;
  std::set<std::thread::id> handled_on;
};

class RecordingCompanion final : public ThreadCompanion {
 public:
  explicit RecordingCompanion(CompanionLog& log) : log_(log) {
    std::lock_guard lock(log_.mutex);
    log_.made_on.insert(std::this_thread::get_id());
  }
  void halt(std::function<void()> halted) override {
    {
      std::lock_guard lock(log_.mutex);
      log_.halted_on.insert(std::this_thread::get_id());
    }
    halted();
  }

 private:
  CompanionLog& log_;
};

TEST(HttpServer, EachIoThreadHasACompanionMadeAndHaltedOnItWhereItsHandlersRun) {
  CompanionLog log;
  Router router;
  router.add(
      "GET", "/here", 0,
      [&](const Request&, Response& res) {
        {
          std::lock_guard lock(log.mutex);
          log.handled_on.insert(std::this_thread::get_id());
        }
        res.set_content("ok", "text/plain");
      },
      Runs::on_loop);
  ServerOptions options;
  options.io_threads = 2;
  options.io_thread_companion = [&](asio::io_context&) { return std::make_unique<RecordingCompanion>(log); };
  Server server(options, std::move(router));
  const int port = server.bind();
  server.serve();

  // Connections are given to the threads in turn: two reach both.
  asio::io_context io;
  for (int i = 0; i < 2; ++i) {
    tcp::socket client(io);
    client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(port)));
    asio::write(client, asio::buffer(std::string("GET /here HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")));
    std::string answer(256, '\0');
    boost::system::error_code ec;
    answer.resize(client.read_some(asio::buffer(answer), ec));
    EXPECT_NE(answer.find("200 OK"), std::string::npos) << answer;
  }
  server.stop();

  std::lock_guard lock(log.mutex);
  EXPECT_EQ(log.made_on.size(), 2u);
  EXPECT_EQ(log.made_on.count(std::this_thread::get_id()), 0u);
  EXPECT_EQ(log.halted_on, log.made_on);
  EXPECT_EQ(log.handled_on, log.made_on);  // each connection's handler ran on its thread, beside its companion
}

}  // namespace
}  // namespace mcpauth::gateway::http
