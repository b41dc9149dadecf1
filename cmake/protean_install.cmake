# `cmake --install`: the public headers (cmake/public_headers.cmake) under
# include/protean/, every exported library (protean_library / protean_export)
# under lib/, the `protean` and `protean-harness` binaries under bin/, and the
# CMake package (protean-config.cmake, protean-config-version.cmake,
# protean-targets.cmake) under lib/cmake/protean/.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
include(${CMAKE_CURRENT_LIST_DIR}/public_headers.cmake)

foreach(header IN LISTS PROTEAN_PUBLIC_HEADERS)
  get_filename_component(folder "${header}" DIRECTORY)
  install(FILES "${PROJECT_SOURCE_DIR}/${header}"
          DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/protean/${folder}")
endforeach()

get_property(protean_exported GLOBAL PROPERTY PROTEAN_EXPORTED_TARGETS)
install(TARGETS ${protean_exported} EXPORT protean-targets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/protean")
install(TARGETS protean protean-harness RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")

set(protean_cmake_dir "${CMAKE_INSTALL_LIBDIR}/cmake/protean")
install(EXPORT protean-targets NAMESPACE protean:: DESTINATION "${protean_cmake_dir}")
if(TARGET protean_testing)
  set(PROTEAN_WITH_TESTING ON)
else()
  set(PROTEAN_WITH_TESTING OFF)
endif()
configure_package_config_file("${CMAKE_CURRENT_LIST_DIR}/protean-config.cmake.in"
                              "${PROJECT_BINARY_DIR}/protean-config.cmake"
                              INSTALL_DESTINATION "${protean_cmake_dir}")
# Before 1.0 a minor release may change the API: 0.2 accepts 0.2.x only.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/protean-config-version.cmake"
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/protean-config.cmake"
              "${PROJECT_BINARY_DIR}/protean-config-version.cmake"
        DESTINATION "${protean_cmake_dir}")
