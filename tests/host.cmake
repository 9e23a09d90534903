# Host end-to-end tests (real binary on loopback; python3 stdlib harness).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND AND TARGET levy)
  add_test(NAME e2e_host
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/host_e2e.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(e2e_host PROPERTIES LABELS e2e TIMEOUT 300)
endif()
