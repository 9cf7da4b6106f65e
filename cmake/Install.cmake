# cmake --install: the public headers, libcallsignal.so.0 and libcallsignal.a, a CMake package
# (find_package(callsignal) -> callsignal::callsignal, callsignal::callsignal_static) and
# callsignal.pc. Everything is relocatable: the CMake package and the .pc file find the prefix
# from where they are, so an installed tree can be moved or shipped as an archive.
#
# Components: callsignal_runtime is the shared library alone (what an app ships);
# callsignal_development is the rest (headers, the .so link, the archive, the package files).
include(CMakePackageConfigHelpers)

set(CALLSIGNAL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/callsignal)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/callsignal
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT callsignal_development
  FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")

# One export set per library, so that find_package(callsignal COMPONENTS shared) needs neither
# Paho's nor OpenSSL's development files: only the static library's users link them.
install(TARGETS callsignal EXPORT callsignal-shared
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    COMPONENT callsignal_runtime NAMELINK_COMPONENT callsignal_development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT callsignal_runtime
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT callsignal_development)
install(TARGETS callsignal_static EXPORT callsignal-static
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT callsignal_development)
install(EXPORT callsignal-shared NAMESPACE callsignal::
  FILE callsignal-shared-targets.cmake DESTINATION ${CALLSIGNAL_CMAKE_DIR}
  COMPONENT callsignal_development)
install(EXPORT callsignal-static NAMESPACE callsignal::
  FILE callsignal-static-targets.cmake DESTINATION ${CALLSIGNAL_CMAKE_DIR}
  COMPONENT callsignal_development)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/callsignalConfig.cmake.in
  ${PROJECT_BINARY_DIR}/callsignalConfig.cmake
  INSTALL_DESTINATION ${CALLSIGNAL_CMAKE_DIR}
  NO_SET_AND_CHECK_MACRO)
# The SONAME carries the major version and the ABI only grows within it (structs by appending):
# a program built against 0.1 works with any 0.x at least as new.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/callsignalConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/callsignalConfig.cmake
              ${PROJECT_BINARY_DIR}/callsignalConfigVersion.cmake
  DESTINATION ${CALLSIGNAL_CMAKE_DIR}
  COMPONENT callsignal_development)

# callsignal.pc locates the prefix from its own directory (${pcfiledir}, understood by pkg-config
# and pkgconf alike) unless the directories were given as absolute paths.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(CALLSIGNAL_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _cs_pc_up "/_/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/_")
  string(REGEX REPLACE "/$" "" _cs_pc_up "${_cs_pc_up}")
  set(CALLSIGNAL_PC_PREFIX "\${pcfiledir}/${_cs_pc_up}")
endif()
# GNUInstallDirs' FULL_ forms, but relative to ${prefix} when they are under it.
foreach(_cs_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_cs_dir}}")
    set(CALLSIGNAL_PC_${_cs_dir} "${CMAKE_INSTALL_${_cs_dir}}")
  else()
    set(CALLSIGNAL_PC_${_cs_dir} "\${prefix}/${CMAKE_INSTALL_${_cs_dir}}")
  endif()
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/callsignal.pc.in ${PROJECT_BINARY_DIR}/callsignal.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/callsignal.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT callsignal_development)
