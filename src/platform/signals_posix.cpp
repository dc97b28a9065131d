#include <pthread.h>
#include <unistd.h>

#include <csignal>

#include "mcpauth_internal/platform/signals.hpp"

namespace mcpauth::platform {
namespace {

// What the interrupt handler writes and exits with: set before the handler
// is installed, read only by it.
const char* g_interrupt_line = nullptr;
std::size_t g_interrupt_line_size = 0;
int g_interrupt_exit_code = 0;

extern "C" void on_interrupt(int) {
  [[maybe_unused]] const auto n = ::write(STDERR_FILENO, g_interrupt_line, g_interrupt_line_size);
  ::_exit(g_interrupt_exit_code);
}

sigset_t stop_signals() noexcept {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

}  // namespace

void exit_on_interrupt(std::string_view line, int exit_code) noexcept {
  g_interrupt_line = line.data();
  g_interrupt_line_size = line.size();
  g_interrupt_exit_code = exit_code;
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
}

void block_stop_requests() noexcept {
  const sigset_t signals = stop_signals();
  ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

void wait_for_stop_request() noexcept {
  const sigset_t signals = stop_signals();
  int signal = 0;
  ::sigwait(&signals, &signal);
}

void ignore_broken_pipes() noexcept {
  std::signal(SIGPIPE, SIG_IGN);
}

}  // namespace mcpauth::platform
