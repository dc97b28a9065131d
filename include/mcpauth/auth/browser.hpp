// Opening an authorization URL for the user, without a shell (SBP: no
// `sh -c`, no `cmd /c`): the URL must be https, or http on a loopback host,
// and it is handed to the program as one argv element.
#pragma once

#include <string>

namespace mcpauth::auth {

// Starts $BROWSER (the Unix convention: ':'-separated commands, "%s" marks
// where the URL goes, else it is appended) or xdg-open. Returns true when a
// program was started. Throws Error(insecure_url) for a URL that must not be
// opened. Does not wait for the browser.
bool open_in_browser(const std::string& url);

}  // namespace mcpauth::auth
