# End-to-end test of the Rillet connector against the real simulator (python3 stdlib).
find_program(PYTHON3 python3)
if(PYTHON3 AND TARGET levy)
  add_test(NAME e2e_connector
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/connector/test_connector.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(e2e_connector PROPERTIES LABELS e2e TIMEOUT 600)
endif()
