# Host end-to-end tests (real binary on loopback; python3 stdlib harness).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND AND TARGET levy)
  add_test(NAME e2e_host
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/host_e2e.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(e2e_host PROPERTIES LABELS e2e TIMEOUT 300)
endif()
# the e2e harness's own process hygiene: `harness.py pair` stops levy + sim and exits on
# SIGTERM, SIGINT, stdin closing and its parent's death; harness.start()'s children die with
# a test killed by SIGKILL (ctest's timeout)
if(Python3_FOUND AND TARGET levy AND CMAKE_SYSTEM_NAME STREQUAL "Linux")
  add_test(NAME e2e_harness_self
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/harness_self.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(e2e_harness_self PROPERTIES LABELS e2e TIMEOUT 300)
endif()
