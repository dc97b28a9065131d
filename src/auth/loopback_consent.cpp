#include "mcpauth/auth/loopback_consent.hpp"

#include <httplib.h>

#include <condition_variable>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "mcpauth/auth/browser.hpp"
#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::auth {
namespace {

constexpr const char* kDonePage =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>mcpauth</title></head>"
    "<body style=\"font-family:sans-serif;margin:3em\"><h1>Authorization received</h1>"
    "<p>You can close this tab and return to mcpauth.</p></body></html>";
constexpr const char* kStrayPage =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>mcpauth</title></head>"
    "<body style=\"font-family:sans-serif;margin:3em\"><h1>Not expected</h1>"
    "<p>This response does not belong to the authorization mcpauth is waiting for.</p></body></html>";

class LoopbackSession final : public ConsentSession {
 public:
  LoopbackSession(const LoopbackConsentOptions& options, std::string path) : options_(options), path_(std::move(path)) {
    v4_.Get(path_, [this](const httplib::Request& req, httplib::Response& res) { on_callback(req, res); });
    port_ = options_.port == 0 ? v4_.bind_to_any_port("127.0.0.1")
                               : (v4_.bind_to_port("127.0.0.1", options_.port) ? options_.port : -1);
    if (port_ <= 0) {
      throw Error(ErrorCode::usage, "cannot listen on 127.0.0.1:" + std::to_string(options_.port) +
                                        " for the authorization callback; is another program using the port?");
    }
    threads_.emplace_back([this] { v4_.listen_after_bind(); });
    // ::1 as well, on the same port, when the machine has IPv6 loopback.
    v6_.Get(path_, [this](const httplib::Request& req, httplib::Response& res) { on_callback(req, res); });
    if (v6_.bind_to_port("::1", port_)) threads_.emplace_back([this] { v6_.listen_after_bind(); });
  }

  ~LoopbackSession() override {
    v4_.stop();
    v6_.stop();
    for (auto& t : threads_) t.join();
  }

  std::string redirect_uri() const override { return "http://127.0.0.1:" + std::to_string(port_) + path_; }

  core::oauth::FormFields await(const ConsentPrompt& prompt) override {
    {
      std::lock_guard lock(mutex_);
      expected_state_ = prompt.state;
    }
    notify("Authorize mcpauth for " + prompt.server_url + " at " + prompt.issuer + ":");
    notify("  " + prompt.authorization_url);
    if (options_.open_browser) {
      if (!open_in_browser(prompt.authorization_url)) {
        notify("Could not start a browser; open the URL above yourself.");
      }
    }
    notify("Waiting for the authorization (up to " + std::to_string(prompt.timeout.count() / 1000) + " s)...");
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, prompt.timeout, [this] { return result_.has_value(); })) {
      throw Error(ErrorCode::consent_timeout,
                  "nobody completed the authorization at " + prompt.issuer + " within " +
                      std::to_string(prompt.timeout.count() / 1000) +
                      " s; run the command again (or use --no-browser and open the URL yourself)",
                  prompt.issuer);
    }
    return *result_;
  }

 private:
  void on_callback(const httplib::Request& req, httplib::Response& res) {
    core::oauth::FormFields fields;
    for (const auto& [name, value] : req.params) fields.emplace_back(name, value);
    const std::string* state = core::oauth::find_field(fields, "state");
    std::lock_guard lock(mutex_);
    // A response for another flow (an old tab, a stray request) does not end this one.
    if (result_ || !state || *state != expected_state_) {
      res.status = 400;
      res.set_content(kStrayPage, "text/html; charset=utf-8");
      return;
    }
    result_ = std::move(fields);
    res.set_header("Cache-Control", "no-store");
    res.set_content(kDonePage, "text/html; charset=utf-8");
    cv_.notify_all();
  }

  void notify(const std::string& line) const {
    if (options_.notify) {
      options_.notify(line);
    } else {
      std::cerr << line << std::endl;
    }
  }

  LoopbackConsentOptions options_;
  std::string path_;
  httplib::Server v4_;
  httplib::Server v6_;
  int port_ = 0;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::string expected_state_;
  std::optional<core::oauth::FormFields> result_;
};

}  // namespace

LoopbackConsent::LoopbackConsent(LoopbackConsentOptions options) : options_(std::move(options)) {}

std::string LoopbackConsent::callback_path(const std::string& issuer) {
  return "/callback/" + core::oauth::base64url(core::oauth::sha256(issuer)).substr(0, 12);
}

std::unique_ptr<ConsentSession> LoopbackConsent::begin(const std::string& issuer) {
  return std::make_unique<LoopbackSession>(options_, callback_path(issuer));
}

}  // namespace mcpauth::auth
