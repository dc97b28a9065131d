// `mcpauth store rotate-key`: seals every row of the token store again under
// a new key while other instances keep running (store/key_rotation.hpp), or
// says which keys the rows are under (--status), or forgets the old keys'
// checks once no row needs them (--retire).
#pragma once

#include <cstddef>
#include <string>

namespace mcpauth::app {

struct StoreArgs {
  std::string action;        // rotate-key
  std::string new_key_file;  // the new key's file (its first key line)
  std::string new_key_env;   // or the environment variable holding it
  std::string generate_key;  // or a new 0600 file to write a new random key to
  bool status = false;
  bool retire = false;
  bool json = false;
  std::size_t batch_size = 100;
};

// Exit 0 when every row is under the current key or was left for a later
// run on purpose; kExitStore when a row no key opens was found (named by
// kind and id, never content) or --retire found rows still under an old key.
int run_store(const StoreArgs& args);

}  // namespace mcpauth::app
