#include "interrupt.hpp"

#include <unistd.h>

#include <csignal>

#include "exit_codes.hpp"

namespace mcpauth::app {
namespace {

extern "C" void on_interrupt(int) {
  static constexpr char kLine[] = "\nmcpauth: interrupted\n";
  [[maybe_unused]] const auto n = ::write(STDERR_FILENO, kLine, sizeof kLine - 1);
  ::_exit(kExitInterrupted);
}

}  // namespace

void exit_on_interrupt() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
}

}  // namespace mcpauth::app
