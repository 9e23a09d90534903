# ctest layering: the build refuses a wrong include (docs/architecture.md §1). Each probe in
# tests/layering/ is an object library built against one layer's usage requirements (include
# directories, definitions, flags) and left out of `all`; the test builds every probe:
# <layer>_ok.c must compile, <layer>_no_<what>.c must fail with "header not found" for the
# header it names; <layer>_link_ok.c must link with the whole layer library alone,
# <layer>_nolink_<what>.c must fail to link on the symbol its "undefined:" line names (base
# links no libevent, SQLite or OpenSSL). It fails when the layering is undone (a layer given core/ or the Lua
# include path again, one library for all of core/).
file(GLOB LEVY_LAYERING_PROBES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/layering/*.c)
set(LEVY_LAYERING_TARGETS "")
foreach(src ${LEVY_LAYERING_PROBES})
  get_filename_component(name ${src} NAME_WE)
  string(REGEX MATCH "^[a-z]+" layer ${name})
  if(name MATCHES "_(no)?link_")
    # link probes: a program linked with every object of the layer's library (whole archive,
    # so an object that needs a layer above, or a library the layer must not use, shows)
    add_executable(layering_${name} EXCLUDE_FROM_ALL ${src})
    target_link_libraries(layering_${name} PRIVATE -Wl,--whole-archive $<TARGET_FILE:levy_${layer}>
                          -Wl,--no-whole-archive levy_${layer})
  else()
    add_library(layering_${name} OBJECT EXCLUDE_FROM_ALL ${src})
    target_link_libraries(layering_${name} PRIVATE levy_${layer})
  endif()
  target_compile_options(layering_${name} PRIVATE ${LEVY_WARN})
  list(APPEND LEVY_LAYERING_TARGETS layering_${name})
endforeach()
add_test(NAME layering
         COMMAND ${CMAKE_COMMAND} -DBUILD=${CMAKE_BINARY_DIR} -DSRC=${CMAKE_CURRENT_SOURCE_DIR}/layering
                 -DCORE=${CMAKE_SOURCE_DIR}/core
                 "-DTARGETS=${LEVY_LAYERING_TARGETS}" -P ${CMAKE_CURRENT_SOURCE_DIR}/layering/check.cmake)
set_tests_properties(layering PROPERTIES LABELS lint TIMEOUT 300)
