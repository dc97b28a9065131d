#pragma once

// Whether a browser can be opened here, and how. $BROWSER follows the
// convention of sensible-browser and Python's webbrowser module: a list of
// commands separated like PATH (':' on POSIX, ';' on Windows), each split on
// spaces (no quoting), "%s" in a word replaced by the URL, else the URL
// appended; the first command that starts wins.

#include <string>
#include <vector>

#include "mcpauth_internal/core/platform/os.hpp"

namespace mcpauth::core::platform {

// $BROWSER set: yes. An SSH session (SSH_CONNECTION or SSH_TTY): no, the
// browser would open on the other machine, if anywhere. Otherwise Linux needs
// a display (DISPLAY or WAYLAND_DISPLAY); a macOS or Windows login session
// has a desktop and sets neither.
bool can_open_browser(Os os, const EnvLookup& env);

struct BrowserLaunch {
  enum class Kind {
    run,            // start commands[0], else commands[1], ...; none starting is a failure
    shell_execute,  // hand url to the shell's default handler (Windows ShellExecuteW "open")
  };
  Kind kind = Kind::run;
  std::vector<std::vector<std::string>> commands;  // argv each; kind run only
  std::string url;                                 // kind shell_execute only
};

// $BROWSER's commands when it is set (even if it names none), else the
// system's opener: xdg-open on Linux, /usr/bin/open on macOS, ShellExecute on
// Windows.
BrowserLaunch browser_launch(Os os, const EnvLookup& env, const std::string& url);

// One $BROWSER entry as argv for url.
std::vector<std::string> browser_command(const std::string& entry, const std::string& url);

}  // namespace mcpauth::core::platform
