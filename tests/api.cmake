# End-to-end tests of the api plugin (REST API, /v1/calculate, Sphere endpoint, `levy calc`).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME e2e_api
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/api/test_api.py $<TARGET_FILE:levy>
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(e2e_api PROPERTIES LABELS e2e TIMEOUT 300)
endif()
# A literal checker of CONTRACT.md (§1, §2.1-2.7) against levy serve + levy sim, as an outside
# acceptance check reads it (tests/e2e/contract/test_contract.py). Ports from 16000.
if(Python3_Interpreter_FOUND)
  add_test(NAME e2e_contract
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/contract/test_contract.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(e2e_contract PROPERTIES LABELS e2e TIMEOUT 300
                       ENVIRONMENT "CONTRACT_E2E_PORT=16000;LEVY_TEST_TIMEOUT=300")
endif()
# levy against an independent, strict Rillet stand-in written from rillet-api.md alone (not
# levy sim): headers, limit, one subsidiary, sparse pages, 429 + Retry-After, the write-back
# body as Rillet validates it, UPDATED / late versions / DELETED. Ports from 16040.
if(Python3_Interpreter_FOUND)
  add_test(NAME e2e_contract_standin
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/contract/test_standin.py
                   $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(e2e_contract_standin PROPERTIES LABELS e2e TIMEOUT 300
                       ENVIRONMENT "STANDIN_E2E_PORT=16040;LEVY_TEST_TIMEOUT=300")
endif()
