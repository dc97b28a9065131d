#include "log_tee.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>

#include "mcpauth/core/printable.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth_internal/platform/log_file.hpp"
#include "mcpauth_internal/platform/process.hpp"

namespace mcpauth::app {
namespace {

// 2026-12-07T18:02:24Z: the calendar of <chrono>, as gmtime_r is POSIX's
// (Windows has gmtime_s, with its arguments the other way round).
std::string utc_stamp(std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  const auto midnight = floor<days>(now);
  const year_month_day date{midnight};
  const hh_mm_ss time{floor<seconds>(now - midnight)};
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return stamp;
}

}  // namespace

// Passes characters to the original stderr buffer and collects lines for
// the file; a complete line is appended with one write so lines of
// several threads (or processes sharing the file) never interleave.
class LogTee::Buffer : public std::streambuf {
 public:
  Buffer(std::streambuf* stderr_buffer, platform::LogFile file) : stderr_(stderr_buffer), file_(file) {}
  ~Buffer() override {
    std::lock_guard lock(mutex_);
    if (!line_.empty()) write_line_locked();
    platform::close_log_file(file_);
  }

 protected:
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    std::lock_guard lock(mutex_);
    stderr_->sputc(traits_type::to_char_type(ch));
    line_.push_back(traits_type::to_char_type(ch));
    if (ch == '\n') write_line_locked();
    return ch;
  }

  std::streamsize xsputn(const char* s, std::streamsize n) override {
    std::lock_guard lock(mutex_);
    stderr_->sputn(s, n);
    for (std::streamsize i = 0; i < n; ++i) {
      line_.push_back(s[i]);
      if (s[i] == '\n') write_line_locked();
    }
    return n;
  }

  int sync() override {
    std::lock_guard lock(mutex_);
    return stderr_->pubsync();
  }

 private:
  void write_line_locked() {
    // One record per line, whatever a server managed to put into it: a CR,
    // an ESC sequence or a NUL in the text is escaped, never written raw.
    if (!line_.empty() && line_.back() == '\n') line_.pop_back();
    std::string record = utc_stamp(std::chrono::system_clock::now()) + " [" +
                         std::to_string(platform::current_process_id()) + "] " + core::printable(line_);
    record.push_back('\n');
    // Best effort: a full disk must not take the proxy down.
    platform::append_to_log_file(file_, record);
    line_.clear();
  }

  std::mutex mutex_;
  std::streambuf* stderr_;
  platform::LogFile file_;
  std::string line_;
};

LogTee::LogTee(const std::string& path) {
  std::error_code error;
  const platform::LogFile file = platform::open_log_file(path, error);
  if (file == platform::kNoLogFile) {
    throw Error(ErrorCode::usage, "cannot open the log file " + path + ": " + error.message());
  }
  buffer_ = std::make_unique<Buffer>(std::cerr.rdbuf(), file);
  previous_ = std::cerr.rdbuf(buffer_.get());
}

LogTee::~LogTee() {
  std::cerr.flush();
  std::cerr.rdbuf(previous_);
}

}  // namespace mcpauth::app
