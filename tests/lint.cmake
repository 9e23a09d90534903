# Lint. lint_lua: luacheck (Debian lua-check, installed by .ci/deps.sh --test) with the
# sandbox's globals (.luacheckrc) over every Lua file levy loads from plugins/, scripts/ and
# data/. Without luacheck the test reports "skipped" (exit 77), never a silent pass.
find_program(LUACHECK luacheck)
if(LUACHECK)
  add_test(NAME lint_lua
           COMMAND ${LUACHECK} --config ${CMAKE_SOURCE_DIR}/.luacheckrc --formatter plain --codes
                   plugins scripts data
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
else()
  add_test(NAME lint_lua COMMAND sh -c "echo 'luacheck not found: apt-get install lua-check'; exit 77")
endif()
set_tests_properties(lint_lua PROPERTIES LABELS lint TIMEOUT 120 SKIP_RETURN_CODE 77)
