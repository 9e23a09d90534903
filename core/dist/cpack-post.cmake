# cpack post-build step (CPACK_POST_BUILD_SCRIPTS, CMakeLists.txt "Packaging"): finishes
# what cpack 3.25's DEB generator leaves short of Debian policy, as debhelper would:
#   levy_*.deb          strip /usr/bin/levy's .comment and .note sections (dh_strip does:
#                       lintian binary-has-unneeded-section); the md5sums are recomputed
#   levy-dbgsym_*.ddeb  cpack writes the md5sums with its staging directory's absolute
#                       paths (lintian md5sums-lists-nonexistent-file: `dpkg --verify` and
#                       debsums would fail) and no /usr/share/doc (lintian no-copyright-file,
#                       no-changelog): the md5sums are recomputed and usr/share/doc/levy-dbgsym
#                       is a symlink to levy, as dh_strip makes it
# Each file is unpacked with dpkg-deb -R and built again with dpkg-deb --root-owner-group.
# Runs with the CPACK_* variables of CPackConfig.cmake; CPACK_PACKAGE_FILES lists the outputs.
find_program(LEVY_DPKG_DEB dpkg-deb REQUIRED)
find_program(LEVY_SH sh REQUIRED)

function(levy_repack file fix)
  get_filename_component(name "${file}" NAME)
  set(root "${CPACK_TOPLEVEL_DIRECTORY}/repack/${name}")
  file(REMOVE_RECURSE "${root}")
  file(MAKE_DIRECTORY "${root}")
  execute_process(COMMAND ${LEVY_DPKG_DEB} -R "${file}" "${root}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "levy repack: dpkg-deb -R ${file} failed")
  endif()
  if(fix STREQUAL "strip")
    execute_process(COMMAND "${CPACK_LEVY_OBJCOPY}" --remove-section=.comment --remove-section=.note
                            "${root}/usr/bin/levy" RESULT_VARIABLE rc)
  else()
    # as dh_strip: the doc dir is a symlink to the package's (a debug package holds only
    # debug files; the ddeb depends on levy (= version)); the .debug files are not executable
    file(MAKE_DIRECTORY "${root}/usr/share/doc")
    file(CREATE_LINK levy "${root}/usr/share/doc/levy-dbgsym" SYMBOLIC)
    file(GLOB_RECURSE dbg "${root}/usr/lib/debug/*.debug")
    foreach(d IN LISTS dbg)
      file(CHMOD "${d}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
    endforeach()
    set(rc 0)
  endif()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "levy repack: ${fix} in ${name} failed")
  endif()
  # md5sums of every regular file but the control area, sorted (as dh_md5sums)
  execute_process(
    COMMAND ${LEVY_SH} -c "find . -path ./DEBIAN -prune -o -type f -printf '%P\\0' | LC_ALL=C sort -z | xargs -0r md5sum > DEBIAN/md5sums"
    WORKING_DIRECTORY "${root}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "levy repack: md5sums of ${name} failed")
  endif()
  file(CHMOD "${root}/DEBIAN/md5sums" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  execute_process(COMMAND ${LEVY_DPKG_DEB} --root-owner-group -Zxz --build "${root}" "${file}"
                  OUTPUT_QUIET RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "levy repack: dpkg-deb --build ${name} failed")
  endif()
  file(REMOVE_RECURSE "${root}")
endfunction()

foreach(f IN LISTS CPACK_PACKAGE_FILES)
  if(f MATCHES "/levy-dbgsym_[^/]*\\.ddeb$")
    levy_repack("${f}" doc)
  elseif(f MATCHES "/levy_[^/]*\\.deb$")
    levy_repack("${f}" strip)
  endif()
endforeach()
