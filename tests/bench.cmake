# Timing claims moved out of the unit tests (issue 18): built, not run as a test; bench/run.sh
# section `micro` runs it. See bench/unit_timing.c.
add_executable(bench_unit_timing ${CMAKE_SOURCE_DIR}/bench/unit_timing.c)
target_compile_options(bench_unit_timing PRIVATE ${LEVY_WARN})
target_link_libraries(bench_unit_timing PRIVATE levycore)
