# The address-level check set (issue 19): tests/fixtures/address-checks.csv is well formed
# (sources, dates, rates) and levy answers every row with a rate or an error code. The pass
# rate is reported (bench/README.md), not asserted: it moves with each data update.
find_program(PYTHON3 python3)
if(PYTHON3 AND TARGET levy)
  add_test(NAME e2e_address_checks
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/../bench/address_checks.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(e2e_address_checks PROPERTIES LABELS "e2e" TIMEOUT 300)
endif()

# `levy rates import` of the Washington DOR rate table and ZIP+4 file, then `levy calc`
# answered from them; a malformed WA file refused with file:line. No port.
if(PYTHON3 AND TARGET levy)
  add_test(NAME e2e_stateformats_import
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/stateformats_import.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(e2e_stateformats_import PROPERTIES LABELS "e2e" TIMEOUT 120)
endif()
