# Reliability tests (issue 9): kill -9 loop, write-back exactly-once, HTTP robustness.
# Short CI versions here; the long runs are the same scripts with a bigger cycle count
# (see tests/soak/README.md).
find_program(PYTHON3 python3)
if(PYTHON3 AND TARGET levy)
  add_test(NAME reliab_kill9
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/reliab/kill9.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR} 20 19000
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(reliab_kill9 PROPERTIES LABELS "e2e;reliab" TIMEOUT 300)
endif()
if(PYTHON3 AND TARGET levy)
  add_test(NAME reliab_writeback_kill
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/reliab/writeback_kill.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR} 20 19020
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(reliab_writeback_kill PROPERTIES LABELS "e2e;reliab" TIMEOUT 300)
endif()
if(PYTHON3 AND TARGET levy)
  add_test(NAME reliab_http_robust
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/reliab/http_robust.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR} 19040 1000
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(reliab_http_robust PROPERTIES LABELS "e2e;reliab" TIMEOUT 120)
endif()
if(PYTHON3 AND TARGET levy)
  add_test(NAME reliab_authz_matrix
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/reliab/authz_matrix.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR} 19060
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(reliab_authz_matrix PROPERTIES LABELS "e2e;reliab" TIMEOUT 120)
endif()

# libFuzzer (clang, ASan + UBSan) over the webhook verification path and the levy.json codec:
# 20 s each in CI, built by the script with clang whatever compiler builds levy.
# Longer: tests/fuzz/run_reliab_fuzz.sh . build-fuzz fuzz_webhook_verify 600
find_program(LEVY_CLANG clang)
find_program(LEVY_SH sh)
if(LEVY_CLANG AND LEVY_SH)
  foreach(fz fuzz_webhook_verify fuzz_json_codec)
    add_test(NAME reliab_${fz}
             COMMAND ${LEVY_SH} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/run_reliab_fuzz.sh ${CMAKE_SOURCE_DIR}
                     ${CMAKE_BINARY_DIR}/reliab-fuzz ${fz} 20
             WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
    set_tests_properties(reliab_${fz} PROPERTIES LABELS "fuzz;reliab" TIMEOUT 180)
  endforeach()
endif()
if(PYTHON3 AND TARGET levy)
  add_test(NAME reliab_io_fault_http
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/reliab/io_fault_http.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR} 19080 3
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(reliab_io_fault_http PROPERTIES LABELS "e2e;reliab" TIMEOUT 120)
endif()
if(PYTHON3 AND TARGET levy)
  add_test(NAME reliab_list_limit
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/reliab/list_limit.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR} 19090 600
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(reliab_list_limit PROPERTIES LABELS "e2e;reliab" TIMEOUT 180)
endif()
if(PYTHON3 AND TARGET levy)
  add_test(NAME reliab_rate_limit
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/reliab/rate_limit.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR} 19400 800
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(reliab_rate_limit PROPERTIES LABELS "e2e;reliab" TIMEOUT 180)
endif()
