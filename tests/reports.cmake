# End-to-end test of the compliance reports (liability, exposure) against levy sim (python3 stdlib).
find_program(PYTHON3 python3)
if(PYTHON3 AND TARGET levy)
  add_test(NAME e2e_reports
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/reports/test_reports.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(e2e_reports PROPERTIES LABELS e2e TIMEOUT 600)
endif()
