#include "http_message.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>

#include "mcpauth/core/text.hpp"

namespace mcpauth::gateway::http {
namespace {

const std::string* find_field(const Fields& fields, std::string_view name, bool case_insensitive) {
  for (const auto& [key, value] : fields) {
    if (case_insensitive ? same_field_name(key, name) : key == name) return &value;
  }
  return nullptr;
}

}  // namespace

bool same_field_name(std::string_view a, std::string_view b) {
  return core::iequals(a, b);
}

bool Request::has_header(std::string_view name) const {
  return find_field(headers, name, true) != nullptr;
}

std::string Request::get_header_value(std::string_view name) const {
  const auto* value = find_field(headers, name, true);
  return value ? *value : std::string();
}

std::string Request::get_param_value(std::string_view name) const {
  const auto* value = find_field(params, name, false);
  return value ? *value : std::string();
}

void Response::set_header(const std::string& name, const std::string& value) {
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [&](const auto& field) { return same_field_name(field.first, name); }),
                headers.end());
  headers.emplace_back(name, value);
}

bool Response::has_header(std::string_view name) const {
  return find_field(headers, name, true) != nullptr;
}

std::string Response::get_header_value(std::string_view name) const {
  const auto* value = find_field(headers, name, true);
  return value ? *value : std::string();
}

void Response::set_content(std::string content, const std::string& content_type) {
  body = std::move(content);
  set_header("Content-Type", content_type);
}

void Response::set_content(const char* data, std::size_t size, const std::string& content_type) {
  set_content(std::string(data, size), content_type);
}

void Response::set_stream(const std::string& content_type, std::shared_ptr<StreamSource> source) {
  set_header("Content-Type", content_type);
  stream = std::move(source);
}

struct Reply::State {
  Sink sink;
  std::atomic<bool> used{false};
  ~State() {
    if (used.exchange(true) || !sink) return;
    Response lost;
    lost.status = 500;
    lost.set_content("internal error: the answer to this request was lost", "text/plain");
    sink(std::move(lost));
  }
};

Reply::Reply(Sink sink) : state_(std::make_shared<State>()) {
  state_->sink = std::move(sink);
}

void Reply::operator()(Response res) const {
  if (!state_ || state_->used.exchange(true)) return;
  if (state_->sink) state_->sink(std::move(res));
}

Reply Response::defer() {
  deferred_ = true;
  return Reply(std::move(sink_));
}

}  // namespace mcpauth::gateway::http
