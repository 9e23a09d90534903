# Ops end-to-end tests (issue 10): backup/restore, upgrade from the v1 schema, the OpenAPI
# document against real responses, the Debian package. python3 stdlib (+ python3-yaml).
find_program(LEVY_OPS_PYTHON3 python3)
if(LEVY_OPS_PYTHON3 AND TARGET levy)
  foreach(case backup upgrade openapi)
    add_test(NAME e2e_ops_${case}
             COMMAND ${LEVY_OPS_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ops/test_ops.py
                     $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR} ${case}
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(e2e_ops_${case} PROPERTIES LABELS e2e TIMEOUT 300)
  endforeach()
endif()
