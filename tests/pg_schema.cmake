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

# The SQL the plugins send (captured while their specs and five short reliab scripts run:
# tests/pg/sql_capture.c, an LD_PRELOAD library over sqlite3_prepare_v2/v3 and the binds)
# prepares on the PostgreSQL schema, except the statements tests/pg/sqlite_only.txt lists with
# the reason they stay SQLite-only (ports 25010-25099; the filing_report script 25760-25775).
if(PYTHON3 AND TARGET levy)
  add_library(levy_sql_capture MODULE ${CMAKE_CURRENT_SOURCE_DIR}/pg/sql_capture.c)
  target_link_libraries(levy_sql_capture PRIVATE PkgConfig::SQLITE ${CMAKE_DL_LIBS})
  target_compile_options(levy_sql_capture PRIVATE ${LEVY_WARN})
  add_test(NAME pg_prepare
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/pg/pg_prepare.py --run $<TARGET_FILE:levy>
                   $<TARGET_FILE:levy_sql_capture> ${CMAKE_SOURCE_DIR} 25010
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(pg_prepare PROPERTIES LABELS "pg" TIMEOUT 300 SKIP_RETURN_CODE 77)
endif()
