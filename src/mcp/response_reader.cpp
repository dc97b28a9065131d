#include "response_reader.hpp"

#include <algorithm>

#include "mcpauth/error.hpp"

namespace mcpauth::mcp::detail {
namespace {

// Enough of an error body to explain a failure; the rest is not kept.
constexpr std::size_t kMaxErrorBody = 16 * 1024;
// Enough of a body or header value to quote in a message.
constexpr std::size_t kExcerptBytes = 300;

}  // namespace

std::string excerpt(std::string_view text) {
  return core::excerpt(text, kExcerptBytes);
}

bool is_web_page(const net::HttpHeaders& headers, const std::string& body) {
  const std::string type = media_type(headers.get("Content-Type").value_or(""));
  if (type == "text/html" || type == "application/xhtml+xml") return true;
  const auto start = body.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return false;
  const std::string head = core::lower(std::string_view(body).substr(start, 14));
  return head.rfind("<!doctype html", 0) == 0 || head.rfind("<html", 0) == 0;
}

Error status_error(const std::string& method, const std::string& url, int status, const net::HttpHeaders& headers,
                   const std::string& body, bool sent_session) {
  const std::string where = method + " " + url;
  if (status == 401) {
    const std::string challenge = headers.get("WWW-Authenticate").value_or("");
    return Error(ErrorCode::unauthorized,
                 where + " was refused with HTTP 401 Unauthorized: the server requires authorization" +
                     (challenge.empty() ? std::string() : " (WWW-Authenticate: " + excerpt(challenge) + ")") +
                     "; send credentials in an Authorization header",
                 url, status, {.remedies = {Remedy::static_token}});
  }
  if (status == 403) {
    return Error(ErrorCode::forbidden,
                 where + " was refused with HTTP 403 Forbidden: the credentials are not sufficient" +
                     (body.empty() ? std::string() : " (" + excerpt(body) + ")"),
                 url, status);
  }
  if (status == 404 && sent_session) {
    return Error(ErrorCode::session_expired,
                 where + " answered HTTP 404: the server no longer knows this session; reconnect to start a new one",
                 url, status);
  }
  std::string what = where + " answered HTTP " + std::to_string(status);
  if (is_web_page(headers, body)) {
    what += " with " + std::string(kWebPageHint);
  } else if (!body.empty()) {
    what += ": " + excerpt(body);
  }
  return Error(ErrorCode::http_status, what, url, status);
}

ResponseReader::ResponseReader(std::string url, std::size_t max_message_bytes, MessageCallback on_message,
                               EventCallback on_other_event)
    : url_(std::move(url)),
      max_bytes_(max_message_bytes),
      on_message_(std::move(on_message)),
      on_other_event_(std::move(on_other_event)),
      // A line holds the "data: " prefix as well as the message.
      sse_(core::SseLimits{max_message_bytes + 64, max_message_bytes}) {}

std::string ResponseReader::content_type() const {
  return headers_.get("Content-Type").value_or("");
}

bool ResponseReader::on_response_start(int status, const net::HttpHeaders& headers) {
  status_ = status;
  headers_ = headers;
  const std::string type = media_type(content_type());
  if (!ok()) {
    kind_ = BodyKind::other;
  } else if (type == "application/json") {
    kind_ = BodyKind::json;
  } else if (type == "text/event-stream") {
    kind_ = BodyKind::event_stream;
  } else {
    kind_ = type.empty() ? BodyKind::none : BodyKind::other;
  }
  if (on_start_) on_start_();
  return true;
}

bool ResponseReader::on_body(std::string_view chunk) {
  switch (kind_) {
    case BodyKind::event_stream:
      try {
        sse_.feed(chunk, [this](core::SseEvent&& event) {
          ++events_;
          if (event.type == "message") {
            // An event without data only moves the event id (a "priming" event).
            if (!event.data.empty()) deliver(event.data);
          } else if (on_other_event_) {
            on_other_event_(std::move(event));
          }
        });
      } catch (const Error& e) {
        if (!e.url().empty()) throw;
        throw Error(e.code(), std::string(e.what()) + " from " + url_, url_);  // the parser knows no URL
      }
      return !answered_ || !awaited_;
    case BodyKind::json:
      if (buffered_.size() + chunk.size() > max_bytes_) {
        throw Error(
            ErrorCode::response_too_large,
            "the response from " + url_ + " is larger than the limit of " + std::to_string(max_bytes_) + " bytes",
            url_);
      }
      buffered_.append(chunk);
      return true;
    case BodyKind::none:
    case BodyKind::other:
      // Keep the start for the error message, drop the rest.
      if (buffered_.size() < kMaxErrorBody) buffered_.append(chunk.substr(0, kMaxErrorBody - buffered_.size()));
      return buffered_.size() < kMaxErrorBody;
  }
  return true;
}

void ResponseReader::finish() {
  if (kind_ != BodyKind::json) return;
  if (buffered_.empty()) {
    throw Error(ErrorCode::protocol, "the server at " + url_ + " sent an empty application/json body", url_);
  }
  deliver(buffered_);
}

void ResponseReader::deliver(std::string_view json_text) {
  std::vector<core::jsonrpc::Message> messages;
  try {
    messages = core::jsonrpc::parse(json_text, core::jsonrpc::ParseLimits{max_bytes_, 128});
  } catch (const Error& e) {
    throw Error(e.code(), std::string(e.what()) + " from " + url_, url_);
  }
  for (auto& message : messages) {
    if (awaited_ && core::jsonrpc::is_response(message) && core::jsonrpc::id_of(message) == *awaited_) {
      answered_ = true;
    }
    on_message_(std::move(message));
  }
}

}  // namespace mcpauth::mcp::detail
