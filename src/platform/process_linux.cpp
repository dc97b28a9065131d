#include <charconv>
#include <fstream>
#include <iterator>

#include "mcpauth_internal/platform/process.hpp"

namespace mcpauth::platform {

std::optional<std::uint64_t> start_time_of_proc_stat(std::string_view stat) {
  const auto close = stat.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // After "pid (comm)" come field 3 (state) onwards: starttime is the 20th of them.
  std::string_view rest = stat.substr(close + 1);
  for (int field = 3; field <= 22; ++field) {
    const auto start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(start);
    const auto end = std::min(rest.find(' '), rest.size());
    if (field == 22) {
      std::uint64_t value = 0;
      const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + end, value);
      if (ec != std::errc() || ptr != rest.data() + end) return std::nullopt;
      return value;
    }
    rest.remove_prefix(end);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> process_start_time(long long pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return std::nullopt;
  const std::string stat{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return start_time_of_proc_stat(stat);
}

}  // namespace mcpauth::platform
