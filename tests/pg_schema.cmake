# PostgreSQL (issue 22): the postgres/ migrations of the core and every plugin build the same
# schema as the SQLite ones (tests/pg/pg_schema.py, on a throwaway cluster; ports 25000-25002).
# Skipped (exit 77) only when the PostgreSQL server binaries are absent; CI installs them.
find_program(PYTHON3 python3)
if(PYTHON3 AND TARGET levy)
  add_test(NAME pg_schema
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/pg/pg_schema.py $<TARGET_FILE:levy>
                   ${CMAKE_SOURCE_DIR} 25000
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(pg_schema PROPERTIES LABELS "pg" TIMEOUT 300 SKIP_RETURN_CODE 77)
endif()
