// http::Server's pushed streams (issue 13): a source's bytes are written
// when it wakes the connection, keep-alives fill idle time, and the stream
// ends with the source, with the client (its FIN), or with the server's stop,
// each time telling the source once.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http_server.hpp"
#include "platform/socket_within.hpp"

namespace mcpauth::gateway::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Bounds waits for a deadlock only: each wait ends as soon as what it waits for happened.
constexpr auto kDeadlock = std::chrono::seconds(30);

class PushedSource final : public StreamSource {
 public:
  explicit PushedSource(std::string keepalive = "") : keepalive_(std::move(keepalive)) {}

  void open(Wake wake) override {
    std::lock_guard lock(mutex_);
    wake_ = std::move(wake);
    opened_ = true;
    cv_.notify_all();
  }
  Chunk take() override {
    std::lock_guard lock(mutex_);
    Chunk chunk{std::move(pending_), end_};
    pending_.clear();
    return chunk;
  }
  std::string keepalive() override { return keepalive_; }
  void closed() override {
    std::lock_guard lock(mutex_);
    ++closed_;
    cv_.notify_all();
  }

  // From the test's thread, as a session's messages arrive on any thread.
  void push(const std::string& text, bool end = false) {
    Wake wake;
    {
      std::lock_guard lock(mutex_);
      pending_ += text;
      end_ = end;
      wake = wake_;
    }
    wake();
  }
  bool wait_opened() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kDeadlock, [this] { return opened_; });
  }
  bool wait_closed() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kDeadlock, [this] { return closed_ > 0; });
  }
  int closed_count() {
    std::lock_guard lock(mutex_);
    return closed_;
  }

 private:
  const std::string keepalive_;
  std::mutex mutex_;
  std::condition_variable cv_;
  Wake wake_;
  std::string pending_;
  bool end_ = false;
  bool opened_ = false;
  int closed_ = 0;
};

// A server whose GET /events hands out the sources the test made, in order.
class StreamServer {
 public:
  explicit StreamServer(std::vector<std::shared_ptr<PushedSource>> sources,
                        std::chrono::milliseconds keepalive = std::chrono::milliseconds(0))
      : sources_(std::move(sources)) {
    Router router;
    router.add(
        "GET", "/events", 0,
        [this](const Request&, Response& res) {
          std::lock_guard lock(mutex_);
          res.set_stream("text/event-stream", sources_.at(next_++));
        },
        Runs::on_loop);
    ServerOptions options;
    options.io_threads = 2;
    options.stream_keepalive = keepalive;
    server_ = std::make_unique<Server>(options, std::move(router));
    port_ = server_->bind();
    server_->serve();
  }

  Server& server() { return *server_; }
  int port() const { return port_; }

 private:
  std::mutex mutex_;
  std::vector<std::shared_ptr<PushedSource>> sources_;
  std::size_t next_ = 0;
  std::unique_ptr<Server> server_;
  int port_ = 0;
};

class Client {
 public:
  explicit Client(int port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(port)));
    asio::write(socket_, asio::buffer(std::string("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")));
  }
  // Reads until `text` has arrived (true) or the server closed (false).
  bool read_until(const std::string& text) {
    while (received_.find(text) == std::string::npos) {
      if (!read_some()) return false;
    }
    return true;
  }
  // Reads until the server closes the connection.
  void read_to_end() {
    while (read_some()) {
    }
  }
  const std::string& received() const { return received_; }
  void close() { socket_.close(); }

 private:
  // Each read is bounded by kDeadlock: a hang fails the test instead.
  bool read_some() { return !test_platform::read_some_within(socket_, received_, kDeadlock); }

  asio::io_context io_;
  tcp::socket socket_;
  std::string received_;
};

TEST(HttpStream, WritesWhatItsSourcePushesAndEndsWithTheLastChunk) {
  auto source = std::make_shared<PushedSource>();
  StreamServer server({source});
  Client client(server.port());
  ASSERT_TRUE(client.read_until("\r\n\r\n"));  // the head, before anything was pushed
  EXPECT_EQ(client.received().rfind("HTTP/1.1 200", 0), 0u) << client.received();
  EXPECT_NE(client.received().find("Transfer-Encoding: chunked"), std::string::npos) << client.received();
  ASSERT_TRUE(source->wait_opened());

  source->push("data: one\n\n");
  ASSERT_TRUE(client.read_until("data: one\n\n")) << client.received();
  source->push("data: two\n\n", true);
  client.read_to_end();
  EXPECT_NE(client.received().find("b\r\ndata: two\n\n\r\n0\r\n\r\n"), std::string::npos) << client.received();
  EXPECT_TRUE(source->wait_closed());
  EXPECT_EQ(source->closed_count(), 1);
}

TEST(HttpStream, AnIdleStreamGetsItsSourcesKeepalive) {
  auto source = std::make_shared<PushedSource>(": keepalive\n\n");
  StreamServer server({source}, std::chrono::milliseconds(20));
  Client client(server.port());
  EXPECT_TRUE(client.read_until(": keepalive\n\n")) << client.received();
  EXPECT_TRUE(client.read_until("\r\n: keepalive\n\n\r\nd\r\n: keepalive\n\n")) << "again after the first";
}

TEST(HttpStream, TheClientLeavingEndsTheStream) {
  auto source = std::make_shared<PushedSource>();
  StreamServer server({source});
  Client client(server.port());
  ASSERT_TRUE(source->wait_opened());
  client.close();  // its FIN, with nothing being written: the pending read sees it
  EXPECT_TRUE(source->wait_closed());
  source->push("data: late\n\n");  // a wake after the end does nothing
  EXPECT_EQ(source->closed_count(), 1);
}

// stop() ends every open stream and tells every source once; a source that
// has not ended gets a clean end all the same: its client reads the last
// chunk, not a cut connection (a client resumes a cut stream, and treats an
// ended one as over).
TEST(HttpStream, StopEndsEveryOpenStreamWithItsLastChunkAndTellsEverySource) {
  constexpr int kStreams = 50;
  std::vector<std::shared_ptr<PushedSource>> sources;
  for (int i = 0; i < kStreams; ++i) sources.push_back(std::make_shared<PushedSource>());
  StreamServer server(sources);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kStreams; ++i) {
    clients.push_back(std::make_unique<Client>(server.port()));
    ASSERT_TRUE(sources[i]->wait_opened()) << i;
    sources[i]->push("data: " + std::to_string(i) + "\n\n");  // written, or still held at the stop
  }
  server.server().stop();
  for (int i = 0; i < kStreams; ++i) {
    EXPECT_EQ(sources[i]->closed_count(), 1) << "stop() returned before stream " << i << " ended";
    clients[i]->read_to_end();  // returns: the server closed the connection
    const std::string& text = clients[i]->received();
    EXPECT_NE(text.find("data: " + std::to_string(i) + "\n\n"), std::string::npos) << text;
    ASSERT_GE(text.size(), 5u);
    EXPECT_EQ(text.substr(text.size() - 5), "0\r\n\r\n") << "stream " << i << " was cut: " << text;
  }
}

}  // namespace
}  // namespace mcpauth::gateway::http
