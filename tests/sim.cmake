# levy sim (Rillet API v4 simulator) end-to-end tests: python3 stdlib only.
find_program(LEVY_PYTHON3 python3)
if(LEVY_PYTHON3 AND TARGET levy)
  add_test(NAME e2e_sim COMMAND ${LEVY_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/sim/test_sim.py $<TARGET_FILE:levy>)
  set_tests_properties(e2e_sim PROPERTIES LABELS e2e TIMEOUT 300)
endif()
