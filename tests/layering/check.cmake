# Run by ctest layering (tests/layering.cmake): builds each probe target and checks that the
# <layer>_ok probes compile (and link), the <layer>_no_* probes fail on the one header they
# include ("No such file" from gcc, "file not found" from clang) and the <layer>_nolink_*
# probes fail to link on the symbol they name, not on something else.
set(failed 0)

# A probe that must fail: on `what` (matched in the build output by `re`), not otherwise.
function(expect_refused name rc out what re)
  if(NOT rc EQUAL 0 AND out MATCHES "${re}")
    message(STATUS "ok   ${name}: refused (${what})")
  elseif(rc EQUAL 0)
    message(STATUS "FAIL ${name}: built, expected a refusal (${what}): its layer reaches too far")
    set(failed 1 PARENT_SCOPE)
  else()
    message(STATUS "FAIL ${name}: failed for another reason than ${what}:\n${out}")
    set(failed 1 PARENT_SCOPE)
  endif()
endfunction()

foreach(t ${TARGETS})
  string(REGEX REPLACE "^layering_" "" name ${t})
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD} --target ${t}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(name MATCHES "_ok$")
    if(rc EQUAL 0)
      message(STATUS "ok   ${name}: builds")
    else()
      message(STATUS "FAIL ${name}: should build against its layer alone:\n${out}")
      set(failed 1)
    endif()
  elseif(name MATCHES "_nolink_")
    file(STRINGS ${SRC}/${name}.c und REGEX "undefined: ")
    string(REGEX REPLACE ".*undefined: ([A-Za-z0-9_]+).*" "\\1" sym "${und}")
    expect_refused(${name} "${rc}" "${out}" "${sym} not linked"
                   "undefined reference to `${sym}'|undefined symbol: ${sym}")
  else()
    file(STRINGS ${SRC}/${name}.c inc REGEX "^#include")
    string(REGEX REPLACE "^#include [<\"]([^>\"]+)[>\"].*" "\\1" header "${inc}")
    string(REPLACE "." "\\." hre "${header}")
    expect_refused(${name} "${rc}" "${out}" "${header} not found"
                   "${hre}: No such file|'${hre}' file not found")
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "layering: a layer reaches above itself (docs/architecture.md §1)")
endif()
