# Rates of every EU member state, Canadian province and national VAT/GST region compared with
# an independent oracle (npm `sales-tax`, rates only; installed next to the test by npm).
find_program(LEVY_NPM_FOR_ORACLE npm)
if(LEVY_NPM_FOR_ORACLE AND TARGET levy)
  add_test(NAME rate_oracle
           COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/oracle/test_oracle.py $<TARGET_FILE:levy>)
  set_tests_properties(rate_oracle PROPERTIES LABELS "e2e;oracle" TIMEOUT 300)
endif()
