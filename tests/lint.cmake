# Lint. lint_lua: luacheck (Debian lua-check, installed by .ci/deps.sh --test) with the
# sandbox's globals (.luacheckrc) over every Lua file levy loads from plugins/, scripts/ and
# data/, the spec runner (core/lua/runtime/spec.lua), levy.util (core/lua/runtime/util.lua) and
# the reference checks under tests/lua (plain lua5.4).
# Without luacheck the test reports "skipped" (exit 77), never a silent pass.
find_program(LUACHECK luacheck)
if(LUACHECK)
  add_test(NAME lint_lua
           COMMAND ${LUACHECK} --config ${CMAKE_SOURCE_DIR}/.luacheckrc --formatter plain --codes
                   plugins scripts data core/lua/runtime/spec.lua core/lua/runtime/util.lua tests/lua
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
else()
  add_test(NAME lint_lua COMMAND sh -c "echo 'luacheck not found: apt-get install lua-check'; exit 77")
endif()
set_tests_properties(lint_lua PROPERTIES LABELS lint TIMEOUT 120 SKIP_RETURN_CODE 77)

# lint_c: clang-format --dry-run -Werror (.clang-format) over every C file under core/,
# tests/ and bench/ (tests/lint_c.sh).
find_program(CLANG_FORMAT NAMES clang-format clang-format-14)
add_test(NAME lint_c
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/lint_c.sh ${CMAKE_SOURCE_DIR}
                 ${CLANG_FORMAT})
set_tests_properties(lint_c PROPERTIES LABELS lint TIMEOUT 120 SKIP_RETURN_CODE 77)
