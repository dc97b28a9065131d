# Compiles `#include "HEADER"` with the include directories INCLUDES (joined
# by '|') and checks the outcome: EXPECT=FAIL wants the compiler to report
# HEADER as not found (any other error fails the test), EXPECT=PASS wants a
# clean compile.
string(REPLACE "|" ";" include_dirs "${INCLUDES}")
set(flags -std=c++20 -fsyntax-only)
foreach(dir IN LISTS include_dirs)
  list(APPEND flags "-I${dir}")
endforeach()
file(MAKE_DIRECTORY "${WORK_DIR}")
set(source "${WORK_DIR}/include_check.cpp")
file(WRITE "${source}" "#include \"${HEADER}\"\n")
execute_process(COMMAND "${COMPILER}" ${flags} "${source}"
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)

string(REGEX REPLACE "([][+.*?^$()])" "\\\\\\1" header_pattern "${HEADER}")
if(EXPECT STREQUAL "FAIL")
  if(status EQUAL 0)
    message(FATAL_ERROR "${HEADER} compiled with these include paths; the layer rule is broken:\n${INCLUDES}")
  endif()
  # gcc: "HEADER: No such file or directory"; clang: "'HEADER' file not found"
  if(NOT out MATCHES "${header_pattern}'?:? (No such file or directory|file not found)")
    message(FATAL_ERROR "${HEADER} failed to compile, but not because it was not found:\n${out}")
  endif()
  message(STATUS "${HEADER} is out of reach, as it must be")
else()
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${HEADER} must compile with these include paths:\n${INCLUDES}\n${out}")
  endif()
  message(STATUS "${HEADER} compiles")
endif()
