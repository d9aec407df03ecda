# Install rules, included from the root CMakeLists.txt when ACTNET_INSTALL is on.
# `cmake --install` puts the public headers, the libraries, a CMake package (actnetConfig.cmake,
# its version file, the exported targets actnet::actnet, ::actors, ::runtime, ::io) and
# actnet.pc for pkg-config under CMAKE_INSTALL_PREFIX. Private headers in */src stay out.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ACTNET_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/actnet)

foreach(dir runtime io actors)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    FILES_MATCHING PATTERN "*.hpp")
endforeach()
install(FILES ${ACTNET_GENERATED_INCLUDE_DIR}/actnet/version.hpp
  ${ACTNET_GENERATED_INCLUDE_DIR}/actnet/export.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/actnet)

install(TARGETS actnet actnet_actors actnet_runtime actnet_io actnet_config actnet_concurrentqueue
  EXPORT actnetTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT actnetTargets NAMESPACE actnet:: DESTINATION ${ACTNET_CMAKE_DIR})

# Before 1.0 a minor version may break the API, so only the same major.minor is compatible.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(ACTNET_COMPATIBILITY SameMinorVersion)
else()
  set(ACTNET_COMPATIBILITY SameMajorVersion)
endif()
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/actnetConfig.cmake.in
  ${PROJECT_BINARY_DIR}/actnetConfig.cmake INSTALL_DESTINATION ${ACTNET_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/actnetConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${ACTNET_COMPATIBILITY})
install(FILES ${PROJECT_BINARY_DIR}/actnetConfig.cmake ${PROJECT_BINARY_DIR}/actnetConfigVersion.cmake
  DESTINATION ${ACTNET_CMAKE_DIR})

# actnet.pc, relocatable: its prefix is found from where the file lies. concurrentqueue has no
# .pc file, so its include directory is written in as found; spdlog and fmt come by Requires.
file(RELATIVE_PATH ACTNET_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" ACTNET_PC_TO_PREFIX ${ACTNET_PC_TO_PREFIX})
set(ACTNET_PC_CFLAGS "-I\${includedir} -I${ACTNET_CONCURRENTQUEUE_DIR}")
if(ACTNET_DEBUG_ASSERTS)
  string(APPEND ACTNET_PC_CFLAGS " -DACTNET_DEBUG_ASSERTS=1")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/actnet.pc.in ${PROJECT_BINARY_DIR}/actnet.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/actnet.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
