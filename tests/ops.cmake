# Ops end-to-end tests (issue 10): backup/restore, upgrade from the v1 schema, the OpenAPI
# document against real responses (needs python3-yaml), the Debian package (needs dpkg-deb;
# runs cpack on this build dir), lintian on the packages (needs lintian). python3 stdlib otherwise. Ports 19100-19299 (50 per case).
find_program(LEVY_OPS_PYTHON3 python3)
find_program(LEVY_OPS_DPKG_DEB dpkg-deb)
find_program(LEVY_OPS_LINTIAN lintian)
if(LEVY_OPS_PYTHON3 AND TARGET levy)
  set(levy_ops_cases backup upgrade openapi)
  if(LEVY_OPS_DPKG_DEB)
    list(APPEND levy_ops_cases package)
  endif()
  # Each case is its own ctest process and ctest runs them in parallel: give each a port
  # range of its own (probe-then-bind in one shared range races).
  set(levy_ops_port 19100)
  foreach(case ${levy_ops_cases})
    add_test(NAME e2e_ops_${case}
             COMMAND ${LEVY_OPS_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ops/test_ops.py
                     $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR} ${case}
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(e2e_ops_${case} PROPERTIES LABELS "e2e;ops" TIMEOUT 300
                         ENVIRONMENT "LEVY_CPACK=${CMAKE_CPACK_COMMAND};LEVY_OPS_PORT_BASE=${levy_ops_port}")
    math(EXPR levy_ops_port "${levy_ops_port} + 50")
  endforeach()
  # issue 20: lintian on the .deb/.ddeb files cpack makes (Debian's lintian; .ci/deps.sh
  # --test). No port.
  if(LEVY_OPS_DPKG_DEB AND LEVY_OPS_LINTIAN)
    add_test(NAME e2e_ops_lintian
             COMMAND ${LEVY_OPS_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ops/test_ops.py
                     $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR} lintian
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(e2e_ops_lintian PROPERTIES LABELS "e2e;ops" TIMEOUT 300
                         ENVIRONMENT "LEVY_CPACK=${CMAKE_CPACK_COMMAND}")
  endif()
  # issue 20: install / serve / reload / upgrade / remove / purge with dpkg in a chroot on a
  # throw-away overlay of / (root + mount namespaces; skipped, exit 77, without). Ports 23850-23899.
  if(LEVY_OPS_DPKG_DEB)
    add_test(NAME e2e_ops_install
             COMMAND ${LEVY_OPS_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ops/test_ops.py
                     $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR} install
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(e2e_ops_install PROPERTIES LABELS "e2e;ops" TIMEOUT 600 SKIP_RETURN_CODE 77
                         ENVIRONMENT "LEVY_CPACK=${CMAKE_CPACK_COMMAND};LEVY_OPS_PORT_BASE=23850")
  endif()
endif()
