#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "platform/named_pipe.hpp"

namespace mcpauth::test_platform {

NamedPipeWriter::NamedPipeWriter(std::filesystem::path path) : path_(std::move(path)) {
  made_ = ::mkfifo(path_.c_str(), 0600) == 0;
}

NamedPipeWriter::~NamedPipeWriter() {
  close();
}

bool NamedPipeWriter::try_open() {
  // O_NONBLOCK: opening the writing end fails (ENXIO) until a reader is there,
  // instead of blocking this test.
  if (fd_ < 0) fd_ = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  return fd_ >= 0;
}

bool NamedPipeWriter::write(const std::string& text) {
  return fd_ >= 0 && ::write(fd_, text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

void NamedPipeWriter::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace mcpauth::test_platform
