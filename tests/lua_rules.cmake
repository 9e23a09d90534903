# Reference check of the rule scripts' self-tests (tests/lua/rules/check_rules.lua): an
# independent re-implementation of docs/rules.md arithmetic, so rule authors can check their
# expectations without the C engine. `levy check` remains the authority. Exit 77 = no data.
find_program(LUA54 lua5.4)
if(LUA54)
  add_test(NAME lua_rules_reference
           COMMAND ${LUA54} ${CMAKE_SOURCE_DIR}/tests/lua/rules/check_rules.lua
                   ${CMAKE_SOURCE_DIR}/scripts
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(lua_rules_reference PROPERTIES LABELS lua TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()
# scripts/_lib/local_tax.lua `locate` (issue 19: the boundary data decides split ZIPs, the hand
# lists without it); end to end in reliab_address_precision.
if(LUA54)
  add_test(NAME lua_local_tax_locate
           COMMAND ${LUA54} ${CMAKE_SOURCE_DIR}/tests/lua/rules/local_tax_locate.lua
                   ${CMAKE_SOURCE_DIR}/scripts
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(lua_local_tax_locate PROPERTIES LABELS lua TIMEOUT 60)
endif()
