// A named pipe (FIFO) the test writes to while a command reads it as its
// standard input, opened by the command's shell (`< path`). POSIX only, like
// the tests that need it (they drive script(1)); named_pipe_posix.cpp is the
// Linux and macOS file. Windows' named pipes live in \\.\pipe\, not in the
// file system, so a Windows file would create one there instead.
#pragma once

#include <filesystem>
#include <string>

namespace mcpauth::test_platform {

class NamedPipeWriter {
 public:
  // Makes the FIFO at `path` (owner read/write only); ok() says whether it was made.
  explicit NamedPipeWriter(std::filesystem::path path);
  ~NamedPipeWriter();
  NamedPipeWriter(const NamedPipeWriter&) = delete;
  NamedPipeWriter& operator=(const NamedPipeWriter&) = delete;

  bool ok() const noexcept { return made_; }
  // Opens the writing end without waiting: false while no reader has the
  // other end open yet (the caller waits for the reader in its own way).
  bool try_open();
  // Writes all of `text`; false when that failed.
  bool write(const std::string& text);
  // Closes the writing end: the reader sees the end of its input.
  void close();

 private:
  std::filesystem::path path_;
  bool made_ = false;
  int fd_ = -1;
};

}  // namespace mcpauth::test_platform
