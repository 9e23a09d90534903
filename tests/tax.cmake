# Tax area extras: the in-process benchmark (built, not run as a test) and, with clang, the
# libFuzzer targets for the decimal parser and the request mapper (a short run registered
# under the label "fuzz").
add_executable(bench_calc_inproc ${CMAKE_SOURCE_DIR}/bench/calc_inproc.c)
target_compile_options(bench_calc_inproc PRIVATE ${LEVY_WARN})
target_link_libraries(bench_calc_inproc PRIVATE levycore)

if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  # The tax sources are compiled into each fuzzer (instrumented), not taken from levycore.
  file(GLOB LEVY_TAX_FUZZ_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/core/tax/*.c)
  set(LEVY_TAX_FUZZ_SRC ${LEVY_TAX_FUZZ_SRC} ${CMAKE_SOURCE_DIR}/core/lua/bind_tax.c
      ${CMAKE_SOURCE_DIR}/core/lua/lctx.c ${CMAKE_SOURCE_DIR}/core/err.c)
  foreach(fz fuzz_tax_decimal fuzz_tax_request)
    add_executable(${fz} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/${fz}.c ${LEVY_TAX_FUZZ_SRC})
    target_include_directories(${fz} PRIVATE ${CMAKE_SOURCE_DIR}/core ${CMAKE_SOURCE_DIR}/core/lua)
    target_compile_options(${fz} PRIVATE -fsanitize=fuzzer,address,undefined -g)
    target_link_options(${fz} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${fz} PRIVATE ${CJSON_LIB} PkgConfig::LUA m)
    add_test(NAME ${fz} COMMAND ${fz} -max_total_time=20 -rss_limit_mb=2048
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(${fz} PROPERTIES LABELS fuzz TIMEOUT 120)
  endforeach()
endif()
