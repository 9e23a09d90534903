# levy rates import end to end (issue 4): a newer vintage, provenance per ZIP row, self-tests
# on the shipped tables, a malformed file refused. Port 19460.
find_program(PYTHON3 python3)
if(PYTHON3 AND TARGET levy)
  add_test(NAME e2e_rates_import
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/rates_import.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR} 19460
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(e2e_rates_import PROPERTIES LABELS "e2e" TIMEOUT 120)
endif()
