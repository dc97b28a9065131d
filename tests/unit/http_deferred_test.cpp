// Deferred answers of http::Server (Response::defer()): a handler returns
// without its response and a Reply, called later from any thread, writes
// it; the connection then serves its next request. A Reply called before
// its handler returned, and one dropped uncalled, still answer; a stop with
// an answer outstanding does not wait for it.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <string>

#include "http_server.hpp"

namespace mcpauth::gateway::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// One client connection: requests written, answers read whole (Content-Length).
class Client {
 public:
  explicit Client(int port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(port)));
  }
  void send(const std::string& path) {
    asio::write(socket_, asio::buffer("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  }
  // The next answer: its status line and body.
  std::pair<std::string, std::string> answer() {
    asio::read_until(socket_, buffer_, "\r\n\r\n");
    std::string data(asio::buffers_begin(buffer_.data()), asio::buffers_end(buffer_.data()));
    const auto head_end = data.find("\r\n\r\n") + 4;
    const std::string head = data.substr(0, head_end);
    const auto at = head.find("Content-Length: ");
    const std::size_t length = at == std::string::npos ? 0 : std::stoul(head.substr(at + 16));
    while (buffer_.size() < head_end + length) {
      boost::system::error_code ec;
      const auto more = buffer_.prepare(4096);
      const std::size_t n = socket_.read_some(more, ec);
      if (ec) break;
      buffer_.commit(n);
    }
    data.assign(asio::buffers_begin(buffer_.data()), asio::buffers_end(buffer_.data()));
    buffer_.consume(std::min(buffer_.size(), head_end + length));
    return {head.substr(0, head.find("\r\n")), data.substr(head_end, length)};
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  asio::streambuf buffer_;
};

// Replies the handlers left for the test to call.
struct Outstanding {
  std::mutex mutex;
  std::promise<Reply> first;
  void keep(Reply reply) {
    std::lock_guard lock(mutex);
    first.set_value(std::move(reply));
  }
};

Response text(const std::string& body) {
  Response res;
  res.set_content(body, "text/plain");
  return res;
}

TEST(HttpDeferred, AReplyCalledLaterFromAnotherThreadIsWrittenAndTheConnectionGoesOn) {
  Outstanding outstanding;
  Router router;
  router.add(
      "GET", "/later", 0, [&](const Request&, Response& res) { outstanding.keep(res.defer()); }, Runs::on_loop);
  router.add(
      "GET", "/now", 0, [](const Request&, Response& res) { res = text("now"); }, Runs::on_loop);
  ServerOptions options;
  options.io_threads = 2;
  Server server(options, std::move(router));
  const int port = server.bind();
  server.serve();

  Client client(port);
  client.send("/later");
  Reply reply = outstanding.first.get_future().get();
  std::thread([reply] { reply(text("later")); }).join();
  const auto [status, body] = client.answer();
  EXPECT_EQ(status, "HTTP/1.1 200 OK");
  EXPECT_EQ(body, "later");
  reply(text("twice"));  // once only: nothing more is written
  client.send("/now");
  const auto next = client.answer();
  EXPECT_EQ(next.second, "now");
  server.stop();
}

TEST(HttpDeferred, AReplyCalledBeforeItsHandlerReturnedIsWritten) {
  Router router;
  router.add("GET", "/at-once", 0, [](const Request&, Response& res) {
    Reply reply = res.defer();
    std::thread([reply] { reply(text("before the handler returned")); }).join();
  });  // on the handler pool: the Reply's post may reach the strand first
  Server server(ServerOptions{}, std::move(router));
  const int port = server.bind();
  server.serve();
  Client client(port);
  client.send("/at-once");
  EXPECT_EQ(client.answer().second, "before the handler returned");
  server.stop();
}

TEST(HttpDeferred, AReplyDroppedUncalledAnswers500) {
  Router router;
  router.add(
      "GET", "/dropped", 0, [](const Request&, Response& res) { (void)res.defer(); }, Runs::on_loop);
  Server server(ServerOptions{}, std::move(router));
  const int port = server.bind();
  server.serve();
  Client client(port);
  client.send("/dropped");
  EXPECT_EQ(client.answer().first, "HTTP/1.1 500 Internal Server Error");
  server.stop();
}

TEST(HttpDeferred, StopDoesNotWaitForAnOutstandingReply) {
  Outstanding outstanding;
  Router router;
  router.add(
      "GET", "/later", 0, [&](const Request&, Response& res) { outstanding.keep(res.defer()); }, Runs::on_loop);
  Server server(ServerOptions{}, std::move(router));
  const int port = server.bind();
  server.serve();
  Client client(port);
  client.send("/later");
  Reply reply = outstanding.first.get_future().get();
  auto stopped = std::async(std::launch::async, [&] { server.stop(); });
  // A deadlock bound, not a speed one.
  ASSERT_EQ(stopped.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  stopped.get();
  reply(text("too late"));  // the connection is gone: dropped
}

}  // namespace
}  // namespace mcpauth::gateway::http
