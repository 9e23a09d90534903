# Lua specs of the plugins (levy test, docs/plugins.md "Specs") and the runner's own test.
if(TARGET levy)
  add_test(NAME lua_specs
           COMMAND $<TARGET_FILE:levy> test ${CMAKE_SOURCE_DIR}/plugins
                   --scripts ${CMAKE_SOURCE_DIR}/scripts
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(lua_specs PROPERTIES LABELS lua TIMEOUT 300
                       ENVIRONMENT "LEVY_DATA=${CMAKE_SOURCE_DIR}/data")
  # the runner itself (generation per file, temporary store, rollback) under valgrind: one test
  # per plugin that has specs (`levy test plugins/<name>` runs exactly that plugin's part of the
  # whole-tree run above), so ctest spreads them over the cores instead of one ~300 s process
  # that started last and finished alone (suite26)
  find_program(VALGRIND valgrind)
  if(VALGRIND AND NOT LEVY_SANITIZE)
    file(GLOB levy_spec_files CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/plugins/*/spec/*_spec.lua)
    set(levy_spec_plugins "")
    foreach(f ${levy_spec_files})
      get_filename_component(d ${f} DIRECTORY)
      get_filename_component(d ${d} DIRECTORY)
      get_filename_component(p ${d} NAME)
      list(APPEND levy_spec_plugins ${p})
    endforeach()
    list(REMOVE_DUPLICATES levy_spec_plugins)
    foreach(p ${levy_spec_plugins})
      add_test(NAME valgrind_lua_specs_${p}
               COMMAND ${VALGRIND} --quiet --error-exitcode=99 --leak-check=full
                       --show-leak-kinds=definite,indirect,possible
                       --errors-for-leak-kinds=definite,indirect,possible
                       $<TARGET_FILE:levy> test ${CMAKE_SOURCE_DIR}/plugins/${p}
                       --scripts ${CMAKE_SOURCE_DIR}/scripts
               WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
      set_tests_properties(valgrind_lua_specs_${p} PROPERTIES LABELS "lua;valgrind" TIMEOUT 600
                           ENVIRONMENT "LEVY_DATA=${CMAKE_SOURCE_DIR}/data;LEVY_UNDER_VALGRIND=1")
    endforeach()
  endif()
  find_package(Python3 COMPONENTS Interpreter)
  if(Python3_FOUND)
    add_test(NAME lua_specs_runner
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/lua/spec/runner_test.py
                     $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR}
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(lua_specs_runner PROPERTIES LABELS lua TIMEOUT 300)
  endif()
endif()
