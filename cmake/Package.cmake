# The CMake package (`cmake --install <build> --component dev`): the public
# headers, the static library and embetterConfig.cmake, so that a project
# finds it with find_package(embetter) and links embetter::embetter
# (tests/package builds such a project in the test command). With
# EMB_BUILD_CLI the `embetter` command installs too (component cli).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(EMB_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/embetter)
install(TARGETS embetter EXPORT embetterTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/embetter DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(EXPORT embetterTargets NAMESPACE embetter:: DESTINATION ${EMB_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(cmake/embetterConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/embetterConfig.cmake
  INSTALL_DESTINATION ${EMB_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/embetterConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/embetterConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/embetterConfigVersion.cmake
  DESTINATION ${EMB_CMAKE_DIR} COMPONENT dev)
if(EMB_BUILD_CLI)
  install(TARGETS embetter_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)
endif()
