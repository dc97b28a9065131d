#include "mcpauth/auth/loopback_consent.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "loopback_listener.hpp"
#include "mcpauth/auth/browser.hpp"
#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/core/oauth/redirect.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth_internal/platform/input_wait.hpp"

namespace mcpauth::auth {
namespace {

// The browser that brought the code back is answered once the code was
// exchanged: it says how the authorization ended, not merely that a
// response arrived (kReceivedPage is for an owner that never says).
constexpr const char* kDonePage =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>mcpauth</title></head>"
    "<body style=\"font-family:sans-serif;margin:3em\"><h1>Authorized</h1>"
    "<p>You can close this tab and return to mcpauth.</p></body></html>";
constexpr const char* kFailedPage =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>mcpauth</title></head>"
    "<body style=\"font-family:sans-serif;margin:3em\"><h1>Authorization not completed</h1>"
    "<p>mcpauth received the response but could not complete the authorization. mcpauth says why where "
    "it runs. You can close this tab.</p></body></html>";
constexpr const char* kReceivedPage =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>mcpauth</title></head>"
    "<body style=\"font-family:sans-serif;margin:3em\"><h1>Authorization received</h1>"
    "<p>You can close this tab and return to mcpauth.</p></body></html>";
constexpr const char* kStrayPage =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>mcpauth</title></head>"
    "<body style=\"font-family:sans-serif;margin:3em\"><h1>Not expected</h1>"
    "<p>This response does not belong to the authorization mcpauth is waiting for.</p></body></html>";

// Reads lines from a file descriptor on its own thread until destroyed;
// a pipe wakes it at once, so ending a consent never waits on the terminal.
class PasteReader {
 public:
  PasteReader(int fd, std::function<void(const std::string&)> on_line) : fd_(fd), on_line_(std::move(on_line)) {
    if (wait_.open()) throw Error(ErrorCode::usage, "cannot create a pipe for the paste prompt");
    thread_ = std::thread([this] { run(); });
  }
  ~PasteReader() {
    wait_.wake();
    thread_.join();
  }
  PasteReader(const PasteReader&) = delete;
  PasteReader& operator=(const PasteReader&) = delete;

 private:
  void run() {
    std::string pending;
    char buffer[4096];
    while (true) {
      if (wait_.wait(fd_) != platform::InputWait::Ready::input) return;
      const long n = platform::InputWait::read(fd_, buffer, sizeof buffer);
      if (n <= 0) return;  // end of input: only the loopback callback can end the consent now
      pending.append(buffer, static_cast<std::size_t>(n));
      if (pending.size() > core::oauth::kMaxPastedRedirectBytes * 2) pending.clear();  // bounded
      for (auto end = pending.find('\n'); end != std::string::npos; end = pending.find('\n')) {
        const std::string line = pending.substr(0, end);
        pending.erase(0, end + 1);
        if (line.find_first_not_of(" \t\r") != std::string::npos) on_line_(line);
      }
    }
  }

  int fd_;
  platform::InputWait wait_;
  std::function<void(const std::string&)> on_line_;
  std::thread thread_;
};

// Where the browser may be sent after an accepted callback: https, or http on
// loopback; no credentials (parse_url refuses them), query or fragment.
void check_success_url(const std::string& text) {
  const core::Url url = core::parse_url(text);
  const bool secure = url.scheme == "https" || core::is_loopback_host(url.host);
  if (!secure || !url.query.empty() || text.find_first_of("?#") != std::string::npos) {
    throw Error(ErrorCode::usage,
                "the page to show after a successful authorization must be an https URL (http on loopback) without "
                "a query or fragment");
  }
}

class LoopbackSession final : public ConsentSession {
 public:
  // `preferred_port` (0: none): tried first when no port is configured; taken, any free port instead.
  LoopbackSession(const LoopbackConsentOptions& options, int preferred_port)
      : options_(options), path_(options.callback_path) {
    listener_ = std::make_unique<detail::LoopbackListener>(
        path_, [this](core::oauth::FormFields fields, detail::DeferredReply later) {
          return on_callback(std::move(fields), std::move(later));
        });
    bool listening = false;
    if (options_.port != 0) {
      listening = listener_->listen(options_.port);
    } else {
      listening = (preferred_port != 0 && listener_->listen(preferred_port)) || listener_->listen(0);
    }
    if (!listening) {
      throw Error(ErrorCode::usage, "cannot listen on 127.0.0.1:" + std::to_string(options_.port) +
                                        " for the authorization callback; is another program using the port?");
    }
    port_ = listener_->port();
  }

  // The listener goes first: its thread calls on_callback, which uses the members below.
  ~LoopbackSession() override {
    // An owner that never said how the authorization ended: the browser
    // still gets a page, not a reset.
    detail::DeferredReply reply;
    {
      std::lock_guard lock(mutex_);
      reply = std::exchange(held_reply_, nullptr);
    }
    if (reply) reply({200, kReceivedPage, true, {}});
    listener_.reset();
  }

  std::string redirect_uri() const override {
    return "http://" + options_.redirect_host + ":" + std::to_string(port_) + path_;
  }

  core::oauth::FormFields await(const ConsentPrompt& prompt) override {
    {
      std::lock_guard lock(mutex_);
      if (cancelled_) throw cancelled(prompt);  // neither shown nor opened
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
    std::unique_ptr<PasteReader> paste;
    if (options_.paste_fd >= 0) {
      notify("If the browser runs on another machine, paste here the address it shows after you approve");
      notify("(it starts with " + redirect_uri() + "?) and press Enter.");
      paste = std::make_unique<PasteReader>(options_.paste_fd, [this](const std::string& line) { on_paste(line); });
    }
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, prompt.timeout, [this] { return result_.has_value() || cancelled_; })) {
      throw Error(ErrorCode::consent_timeout,
                  "nobody completed the authorization at " + prompt.issuer + " within " +
                      std::to_string(prompt.timeout.count() / 1000) +
                      " s; start it again (or open the URL above yourself). If the authorization server showed an "
                      "error page instead of asking for consent, it may not know the client id: register a client "
                      "there and configure its client id",
                  prompt.issuer, 0,
                  {.remedies = {Remedy::retry, Remedy::open_url_manually, Remedy::pre_register_client}});
    }
    if (!result_) throw cancelled(prompt);
    return *result_;
  }

  // Only a session whose browser got the code back to the listener has a
  // page to give; a pasted address has no browser waiting here.
  void finished(bool authorized) override {
    detail::DeferredReply reply;
    {
      std::lock_guard lock(mutex_);
      reply = std::exchange(held_reply_, nullptr);
    }
    if (!reply) return;
    if (!authorized) return reply({200, kFailedPage, true, {}});
    // The host's own page instead of ours: nothing of the response is passed on to it.
    if (!options_.success_url.empty()) return reply({302, {}, true, options_.success_url});
    reply({200, kDonePage, true, {}});
  }

  void cancel() override {
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    cv_.notify_all();
  }

 private:
  static Error cancelled(const ConsentPrompt& prompt) {
    return Error(ErrorCode::cancelled, "the authorization at " + prompt.issuer + " was cancelled before it completed",
                 prompt.issuer);
  }

  detail::CallbackPage on_callback(core::oauth::FormFields fields, detail::DeferredReply later) {
    const std::string* state = core::oauth::find_field(fields, "state");
    std::lock_guard lock(mutex_);
    // A response for another flow (an old tab, a stray request, one before
    // the prompt named the state) does not end this one.
    if (result_ || cancelled_ || !state || expected_state_.empty() || *state != expected_state_) {
      return {400, kStrayPage, false, {}};
    }
    result_ = std::move(fields);
    held_reply_ = std::move(later);
    cv_.notify_all();
    return {200, kReceivedPage, true, {}, /*held=*/true};  // answered by finished()
  }

  void on_paste(const std::string& line) {
    core::oauth::FormFields fields;
    try {
      fields = core::oauth::parse_pasted_redirect(line, redirect_uri());
    } catch (const Error& e) {
      notify(std::string(e.what()) + "; paste again.");  // never echoes the paste: it carries the code
      return;
    }
    const std::string* state = core::oauth::find_field(fields, "state");
    std::lock_guard lock(mutex_);
    if (result_ || cancelled_) return;
    if (!state || *state != expected_state_) {
      notify("That address belongs to another authorization (its state does not match); paste the newest one.");
      return;
    }
    result_ = std::move(fields);
    cv_.notify_all();
  }

  void notify(const std::string& line) const { options_.notify(line); }

  LoopbackConsentOptions options_;
  std::string path_;
  std::unique_ptr<detail::LoopbackListener> listener_;
  int port_ = 0;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::string expected_state_;
  std::optional<core::oauth::FormFields> result_;
  detail::DeferredReply held_reply_;  // the browser of the accepted callback, waiting for finished()
  bool cancelled_ = false;            // a redirect arriving afterwards is stray
};

}  // namespace

LoopbackConsent::LoopbackConsent(LoopbackConsentOptions options) : options_(std::move(options)) {
  const auto& path = options_.callback_path;
  if (path.empty() || path.front() != '/' || path.find_first_of("?#") != std::string::npos) {
    throw Error(ErrorCode::usage, "the callback path must start with '/' and hold no '?' or '#', e.g. /callback");
  }
  const std::string& host = options_.redirect_host;
  if (host != "127.0.0.1" && host != "localhost" && host != "[::1]") {
    // The listener binds loopback only: another host would carry the code elsewhere.
    throw Error(ErrorCode::usage, "the redirect host must be 127.0.0.1, localhost or [::1]");
  }
  if (!options_.success_url.empty()) check_success_url(options_.success_url);
  // The library writes to no stream: the URL reaches the user through the caller's sink.
  if (!options_.notify) throw Error(ErrorCode::usage, "LoopbackConsentOptions::notify is required (the URL to open)");
}

std::unique_ptr<ConsentSession> LoopbackConsent::begin(const std::string&) {
  return std::make_unique<LoopbackSession>(options_, 0);
}

std::unique_ptr<ConsentSession> LoopbackConsent::begin_preferring(const std::string&,
                                                                  const std::string& preferred_redirect_uri) {
  int preferred_port = 0;
  try {
    const core::Url url = core::parse_url(preferred_redirect_uri);
    if (url.scheme == "http" && url.host == options_.redirect_host && url.path == options_.callback_path &&
        url.query.empty()) {
      preferred_port = url.port;
    }
  } catch (const Error&) {
    // Not one of ours: any free port, and the caller registers the new redirect URI.
  }
  return std::make_unique<LoopbackSession>(options_, preferred_port);
}

}  // namespace mcpauth::auth
