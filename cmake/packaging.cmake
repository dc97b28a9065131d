# The man page, the shell completions and the Debian package (`cpack -G DEB`
# in a build directory; scripts/package.sh makes the Release build it is meant for).

# mcpauth(1), generated from the program's own --help and --version, so the
# page cannot drift from the binary. help2man (Debian) is optional: without
# it the build has no man page and the package none either.
find_program(MCPAUTH_HELP2MAN help2man)
if(MCPAUTH_HELP2MAN)
  set(MCPAUTH_MAN_PAGE ${CMAKE_CURRENT_BINARY_DIR}/mcpauth.1.gz)
  add_custom_command(OUTPUT ${MCPAUTH_MAN_PAGE}
    COMMAND ${MCPAUTH_HELP2MAN} --no-info
            --name "use OAuth-protected remote MCP servers from anywhere"
            --output ${CMAKE_CURRENT_BINARY_DIR}/mcpauth.1 $<TARGET_FILE:mcpauth_cli>
    COMMAND gzip -9 -n -f ${CMAKE_CURRENT_BINARY_DIR}/mcpauth.1
    DEPENDS mcpauth_cli
    COMMENT "Generating the mcpauth(1) man page from --help"
    VERBATIM)
  add_custom_target(mcpauth_man ALL DEPENDS ${MCPAUTH_MAN_PAGE})
  install(FILES ${MCPAUTH_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

# Shell completions, printed by the program from its own CLI11 definitions
# (`mcpauth completion bash|zsh`), so they cannot drift from the binary;
# installed where bash-completion and zsh look for them (the package's too).
# Debian's zsh reads /usr/share/zsh/vendor-completions for packages and
# <prefix>/share/zsh/site-functions for /usr/local (not /usr/share/zsh/site-functions).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(MCPAUTH_ZSH_COMPLETION_DEFAULT ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
else()
  set(MCPAUTH_ZSH_COMPLETION_DEFAULT ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
endif()
set(MCPAUTH_ZSH_COMPLETION_DIR ${MCPAUTH_ZSH_COMPLETION_DEFAULT} CACHE STRING "Where _mcpauth is installed")
set(MCPAUTH_COMPLETIONS_DIR ${CMAKE_CURRENT_BINARY_DIR}/completions)
add_custom_command(OUTPUT ${MCPAUTH_COMPLETIONS_DIR}/mcpauth ${MCPAUTH_COMPLETIONS_DIR}/_mcpauth
  COMMAND ${CMAKE_COMMAND} -E make_directory ${MCPAUTH_COMPLETIONS_DIR}
  COMMAND sh -c "\"$0\" completion bash > \"$1/mcpauth\" && \"$0\" completion zsh > \"$1/_mcpauth\""
          $<TARGET_FILE:mcpauth_cli> ${MCPAUTH_COMPLETIONS_DIR}
  DEPENDS mcpauth_cli
  COMMENT "Generating the bash and zsh completions from the command's definitions"
  VERBATIM)
add_custom_target(mcpauth_completions ALL
  DEPENDS ${MCPAUTH_COMPLETIONS_DIR}/mcpauth ${MCPAUTH_COMPLETIONS_DIR}/_mcpauth)
install(FILES ${MCPAUTH_COMPLETIONS_DIR}/mcpauth DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${MCPAUTH_COMPLETIONS_DIR}/_mcpauth DESTINATION ${MCPAUTH_ZSH_COMPLETION_DIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mcpauth)
set(CPACK_PACKAGE_VENDOR "mcpauth")
set(CPACK_PACKAGE_CONTACT "mcpauth developers <mcpauth@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "use OAuth-protected remote MCP servers from anywhere")
set(CPACK_PACKAGE_DESCRIPTION
    "mcpauth connects hosts to remote MCP servers, including those behind OAuth 2.1 (the MCP authorization\
 specification). The package holds the mcpauth command (tools, call, login, logout, status, probe, proxy,\
 gateway) with its man page and bash and zsh completions, the static C++ library with its headers, and its\
 CMake and pkg-config files.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# The binary's own shared libraries (libcurl, OpenSSL, SQLite, libsecret, ...)
# become Depends through dpkg-shlibdeps; linking against the static library
# needs their development packages, which is what Suggests says.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS
    "libcurl4-openssl-dev, libssl-dev, libsqlite3-dev, libpq-dev, nlohmann-json3-dev, libsecret-1-dev")
include(CPack)
