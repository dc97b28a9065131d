// Everything an embedder needs: mcpauth::Client (one object, OAuth built in),
// what its options and results are made of, and mcpauth::compose() (the
// same composition as parts, for a host that drives its own Session). Lower
// layers (sessions, transports, the Authorizer, stores) have their own
// headers under mcpauth/ for programs that compose them differently.
#pragma once

#include "mcpauth/client.hpp"
#include "mcpauth/composition.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/version.hpp"
