// Everything an embedder needs: mcpauth::Client (one object, OAuth built in)
// and what its options and results are made of. Lower layers (sessions,
// transports, the Authorizer, stores) have their own headers under
// mcpauth/ for programs that compose them differently.
#pragma once

#include "mcpauth/client.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/version.hpp"
