#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "platform/process_stats.hpp"

namespace mcpauth::test_platform {

namespace {

double kib_to_mb(long kib) {
  return static_cast<double>(kib) / 1024.0;
}

// /proc/<pid>/stat: the command name may hold spaces, so fields are counted
// after its closing parenthesis; utime and stime are fields 14 and 15.
bool read_cpu(long pid, double& seconds) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return false;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int index = 3; fields >> field; ++index) {
    if (index == 14) utime = std::stoull(field);
    if (index == 15) {
      stime = std::stoull(field);
      seconds = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
      return true;
    }
  }
  return false;
}

long count_fds(long pid) {
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (dir == nullptr) return 0;
  long count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count;
}

}  // namespace

ProcessSample sample_process(long pid) {
  ProcessSample sample;
  if (pid <= 0 || !read_cpu(pid, sample.cpu_s)) return sample;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  long value = 0;
  while (status >> key) {
    if (key == "Threads:" && status >> value) sample.threads = value;
    if (key == "VmRSS:" && status >> value) sample.rss_mb = kib_to_mb(value);
    if (key == "VmHWM:" && status >> value) sample.hwm_mb = kib_to_mb(value);
  }
  sample.fds = count_fds(pid);
  sample.ok = true;
  return sample;
}

double own_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace mcpauth::test_platform
