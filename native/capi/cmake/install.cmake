# What `cmake --install` lays out for C, C++, Rust, Go and Python callers (the
# release archive): the header, the library (SONAME from the ABI version), a
# pkg-config file and a CMake package for find_package(mlxcompat).
include(CMakePackageConfigHelpers)
set(CMAKE_INSTALL_LIBDIR lib CACHE PATH "Library folder under the prefix")

file(STRINGS ${CMAKE_CURRENT_SOURCE_DIR}/include/mlxcompat.h abi_line REGEX "^#define MLXCOMPAT_ABI_VERSION ")
string(REGEX REPLACE ".* " "" MLXCOMPAT_ABI_VERSION "${abi_line}")
set_target_properties(mlxcompat PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${MLXCOMPAT_ABI_VERSION})
set_property(TARGET mlxcompat PROPERTY INTERFACE_INCLUDE_DIRECTORIES
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>)

install(TARGETS mlxcompat EXPORT mlxcompatTargets LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES include/mlxcompat.h DESTINATION include)
set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/mlxcompat)
install(EXPORT mlxcompatTargets NAMESPACE mlxcompat:: DESTINATION ${config_dir})
configure_package_config_file(cmake/mlxcompatConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/mlxcompatConfig.cmake
  INSTALL_DESTINATION ${config_dir})
# Before 1.0 a minor release may change the API: only the same minor version is compatible.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/mlxcompatConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mlxcompatConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/mlxcompatConfigVersion.cmake
  DESTINATION ${config_dir})
configure_file(cmake/mlxcompat.pc.in ${CMAKE_CURRENT_BINARY_DIR}/mlxcompat.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mlxcompat.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
