# Installation (when PARLEY_INSTALL is on): `cmake --install build [--prefix DIR] [--component runtime|development]`.
#
#   bin/parley, bin/parley-relay                        runtime
#   lib/libparley.so.MAJOR.MINOR.PATCH, libparley.so.0.MINOR (the C ABI) runtime
#   lib/libparley.so (link name), lib/libparley.a       development
#   lib/libparley_{sync,core,proto,platform,platform_posix}.a
#                                                       development (what libparley.a and a
#                                                       C++ consumer of parley::sync link)
#   include/parley/parley.h, parley_version.h (C) and the C++ headers
#                                                       development
#   lib/cmake/Parley/ParleyConfig.cmake (+ version, targets), lib/pkgconfig/parley.pc
#                                                       development
#
# find_package(Parley) gives parley::parley (libparley.so, the C ABI; it needs nothing else)
# and, when SQLite3, Protobuf and libsodium are found, parley::parley_static (libparley.a) and
# the C++ libraries parley::sync, parley::core, parley::platform, parley::platform_posix,
# parley::proto. See README.md "Integrators".
#
# lib is ${CMAKE_INSTALL_LIBDIR} (GNUInstallDirs: lib/<multiarch> on Debian for /usr).
# Both the CMake package and parley.pc are relocatable: they find the prefix from where they
# are installed, so `cmake --install --prefix` anywhere works.
# The installed names work in the build tree too (add_subdirectory, FetchContent):
# parley::parley is bindings/c's alias of parley_c; this is parley_c_static's.
if(TARGET parley_c_static AND NOT TARGET parley::parley_static)
  add_library(parley::parley_static ALIAS parley_c_static)
endif()

if(NOT PARLEY_INSTALL)
  return()
endif()
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(PARLEY_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Parley)

# The programs link Parley statically: they need no library of ours at run time.
install(TARGETS parley parley-relay
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)

if(NOT TARGET parley_c OR NOT TARGET parley_c_static)
  message(STATUS "Parley: no C ABI targets (bindings/c); installing the programs only")
  return()
endif()

# Exported as parley::parley and parley::parley_static (the in-tree names parley_c and
# parley_c_static stay as they are; parley::parley is also their alias in the build tree).
set_target_properties(parley_c PROPERTIES EXPORT_NAME parley)
set_target_properties(parley_c_static PROPERTIES EXPORT_NAME parley_static)
# The C++ libraries libparley.a needs, exported under their in-tree alias names.
set(PARLEY_INSTALL_CXX_LIBS parley_sync parley_core parley_proto parley_platform parley_platform_posix)
foreach(lib ${PARLEY_INSTALL_CXX_LIBS})
  string(REPLACE "parley_" "" export_name ${lib})
  set_target_properties(${lib} PROPERTIES EXPORT_NAME ${export_name})
endforeach()

# The shared library: its own export set, so that find_package(Parley) for parley::parley
# needs none of Parley's build dependencies.
install(TARGETS parley_c EXPORT ParleyTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT development
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS parley_c_static ${PARLEY_INSTALL_CXX_LIBS} EXPORT ParleyStaticTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# Headers: the C header and its generated version header, then the C++ headers of the
# libraries above (they include <sqlite3.h> and the generated protobuf headers, installed too).
install(FILES ${PROJECT_SOURCE_DIR}/bindings/c/include/parley/parley.h
              ${PROJECT_BINARY_DIR}/bindings/c/include/parley/parley_version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/parley COMPONENT development)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/platform/include/ ${PROJECT_SOURCE_DIR}/core/include/
                  ${PROJECT_SOURCE_DIR}/sync/include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT development FILES_MATCHING PATTERN "*.h")
install(DIRECTORY ${PROJECT_BINARY_DIR}/proto/parley/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/parley COMPONENT development FILES_MATCHING PATTERN "*.pb.h")

# The CMake package.
install(EXPORT ParleyTargets NAMESPACE parley:: DESTINATION ${PARLEY_INSTALL_CMAKEDIR}
        COMPONENT development)
install(EXPORT ParleyStaticTargets NAMESPACE parley:: DESTINATION ${PARLEY_INSTALL_CMAKEDIR}
        COMPONENT development)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ParleyConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/ParleyConfig.cmake
                              INSTALL_DESTINATION ${PARLEY_INSTALL_CMAKEDIR})
# 0.x: a new minor version may break the API, so only the same MAJOR.MINOR is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ParleyConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ParleyConfig.cmake ${PROJECT_BINARY_DIR}/ParleyConfigVersion.cmake
        DESTINATION ${PARLEY_INSTALL_CMAKEDIR} COMPONENT development)

# pkg-config. `pkg-config --libs parley` links libparley.so; `--static` links libparley.a and
# everything it needs (the system libraries as plain -l flags in Libs.private, so the plain
# shared use needs none of their .pc files). prefix is found from the .pc file's own place.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(PARLEY_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(PARLEY_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH rel "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  string(REGEX REPLACE "/$" "" rel "${rel}")
  set(PARLEY_PC_PREFIX "\${pcfiledir}/${rel}")
  set(PARLEY_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(PARLEY_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(PARLEY_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/parley.pc.in ${PROJECT_BINARY_DIR}/parley.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/parley.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT development)
