# A file under src/ includes its own directory's private headers by bare name
# and everything else by its target's include paths: "mcpauth/...",
# "mcpauth_internal/<layer>/..." or a header of a target it links. A relative
# path leaving the directory ("../core/x.hpp") would get around the layer
# rule, so any quoted include holding ".." fails this test.
file(GLOB_RECURSE files "${SOURCE_DIR}/*.cpp" "${SOURCE_DIR}/*.hpp" "${SOURCE_DIR}/*.in")
set(bad "")
foreach(file IN LISTS files)
  file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"[^\"]*\\.\\.[^\"]*\"")
  foreach(line IN LISTS lines)
    file(RELATIVE_PATH rel "${SOURCE_DIR}" "${file}")
    string(APPEND bad "  src/${rel}: ${line}\n")
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "includes reaching outside their directory (use the layer's target instead):\n${bad}")
endif()
