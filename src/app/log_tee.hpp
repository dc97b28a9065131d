// --log FILE: everything the process writes to std::cerr also goes to FILE,
// each line stamped with the time and the process id (hosts such as Claude
// Desktop swallow a stdio server's stderr; the file is where a user looks).
// The file is created 0600 and appended to: diagnostics never hold a token,
// but they do name servers and accounts.
#pragma once

#include <memory>
#include <streambuf>
#include <string>

namespace mcpauth::app {

class LogTee {
 public:
  // Opens (creates) the file and redirects std::cerr through it until
  // destroyed. Throws Error(usage) when the file cannot be opened.
  explicit LogTee(const std::string& path);
  ~LogTee();
  LogTee(const LogTee&) = delete;
  LogTee& operator=(const LogTee&) = delete;

 private:
  class Buffer;
  std::unique_ptr<Buffer> buffer_;
  std::streambuf* previous_;
};

}  // namespace mcpauth::app
