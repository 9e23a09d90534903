# levy rotate-master-key end to end (issue 10) against `levy sim`. python3 stdlib (uses the
# `cryptography` module when installed). Ports 19300-19349.
find_program(LEVY_ROTATE_PYTHON3 python3)
if(LEVY_ROTATE_PYTHON3 AND TARGET levy)
  add_test(NAME e2e_ops_rotate
           COMMAND ${LEVY_ROTATE_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ops_rotate/test_rotate.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(e2e_ops_rotate PROPERTIES LABELS "e2e;ops" TIMEOUT 300
                       ENVIRONMENT "LEVY_OPS_PORT_BASE=19300")
endif()
