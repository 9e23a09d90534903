# levy's own sourced check set (issue 19): each case of tests/law/check.py is a question of law
# (statute, tax-authority page or published worked example, cited per case) run through
# `levy calc --all-regions` and compared with the cited answer; tests/law/cases.md is its table.
if(TARGET levy)
  add_test(NAME law_cases
           COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/law/check.py $<TARGET_FILE:levy>
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(law_cases PROPERTIES LABELS "e2e;law" TIMEOUT 600)
endif()
