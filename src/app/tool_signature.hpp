// How plain `mcpauth tools` shows a tool: a signature a person can call it
// from, `echo(text: string, times?: integer) — Echo the text back`, read from
// its JSON Schema. Pure functions; every piece of server text is sanitized.
#pragma once

#include <string>

#include "mcpauth/mcp/protocol.hpp"

namespace mcpauth::app {

// A schema's type as a signature shows it: string, number, integer, boolean,
// null, object (nested objects are not expanded), T[] for arrays, an enum or
// const as its JSON values joined by |, a type list or anyOf/oneOf joined by
// |, and `any` where the schema does not say.
std::string schema_type(const mcp::Json& schema);

// `name(param: type, optional?: type)`: the required parameters first (in the
// schema's `required` order), then the optional ones.
std::string tool_signature(const mcp::Tool& tool);

// The signature, then " — " and the first line of the description (capped), if any.
std::string tool_line(const mcp::Tool& tool);

}  // namespace mcpauth::app
