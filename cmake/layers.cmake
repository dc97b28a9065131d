# One OBJECT library per layer of the library (docs/architecture.md, "Build
# targets and layers"), combined into the one mcpauth library.
#
# All public headers sit under include/mcpauth/<layer>/, so one include root
# would let any layer include any header. Instead each layer gets its own
# include root in the build tree, holding links to its own headers only:
#   layers/<layer>/mcpauth/<layer>      -> include/mcpauth/<layer>
#   layers/<layer>/mcpauth/<header>.hpp -> include/mcpauth/<header>.hpp (HEADERS)
# and headers the layer shares with the layers above without installing them:
#   layers/<layer>-internal/mcpauth_internal/<layer> -> src/<layer>/internal
# A layer target has its own roots PUBLIC and links the layers below it, so a
# header of a layer above, or of a layer beside it, does not exist for its
# compiler: a wrong-way include fails to build (tests/layers checks that).

# Makes `link` point at `target` (a copy where links are impossible).
function(mcpauth_link_path target link)
  if(IS_SYMLINK "${link}")
    file(REMOVE "${link}")  # the link only, never what it points at
  elseif(IS_DIRECTORY "${link}")
    file(REMOVE_RECURSE "${link}")  # an earlier copy
  elseif(EXISTS "${link}")
    file(REMOVE "${link}")
  endif()
  file(CREATE_LINK "${target}" "${link}" SYMBOLIC COPY_ON_ERROR)
endfunction()

# mcpauth_layer(<target> <layer> [HEADERS top-level headers under include/mcpauth])
# Gives the OBJECT library <target> the include roots of <layer>, the
# project's warnings and PIC (its objects go into the shared library too).
function(mcpauth_layer target layer)
  cmake_parse_arguments(arg "" "" "HEADERS" ${ARGN})
  set(root "${PROJECT_BINARY_DIR}/layers/${layer}")
  file(MAKE_DIRECTORY "${root}/mcpauth")
  if(IS_DIRECTORY "${PROJECT_SOURCE_DIR}/include/mcpauth/${layer}")
    mcpauth_link_path("${PROJECT_SOURCE_DIR}/include/mcpauth/${layer}" "${root}/mcpauth/${layer}")
  endif()
  foreach(header IN LISTS arg_HEADERS)
    mcpauth_link_path("${PROJECT_SOURCE_DIR}/include/mcpauth/${header}" "${root}/mcpauth/${header}")
  endforeach()
  target_include_directories(${target} PUBLIC "${root}")
  if(IS_DIRECTORY "${PROJECT_SOURCE_DIR}/src/${layer}/internal")
    set(internal "${PROJECT_BINARY_DIR}/layers/${layer}-internal")
    file(MAKE_DIRECTORY "${internal}/mcpauth_internal")
    mcpauth_link_path("${PROJECT_SOURCE_DIR}/src/${layer}/internal" "${internal}/mcpauth_internal/${layer}")
    target_include_directories(${target} PUBLIC "${internal}")
  endif()
  target_compile_options(${target} PRIVATE ${MCPAUTH_WARNINGS})
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  set_property(GLOBAL APPEND PROPERTY MCPAUTH_LAYER_TARGETS ${target})
endfunction()
