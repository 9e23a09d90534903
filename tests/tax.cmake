# Tax area extras: the in-process benchmark (built, not run as a test).
add_executable(bench_calc_inproc ${CMAKE_SOURCE_DIR}/bench/calc_inproc.c)
target_compile_options(bench_calc_inproc PRIVATE ${LEVY_WARN})
target_link_libraries(bench_calc_inproc PRIVATE levycore)
# The libFuzzer targets for the decimal parser and the request mapper run from tests/reliab.cmake
# (tests/fuzz/run_reliab_fuzz.sh builds them with clang whatever compiler builds levy).
# B8 crypto micro-benchmark (bench/run.sh section `micro`; not a test)
add_executable(bench_crypto_micro ${CMAKE_SOURCE_DIR}/bench/crypto_micro.c)
target_compile_options(bench_crypto_micro PRIVATE ${LEVY_WARN})
target_link_libraries(bench_crypto_micro PRIVATE levycore)
# Issue 18: levy.json.decode's instructions per Rillet body (bench/README.md; not a test)
add_executable(bench_json_decode_micro ${CMAKE_SOURCE_DIR}/bench/json_decode_micro.c)
target_compile_options(bench_json_decode_micro PRIVATE ${LEVY_WARN})
target_link_libraries(bench_json_decode_micro PRIVATE levycore)
