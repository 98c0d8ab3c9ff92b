# The chosen dependencies, all from the Debian archive (scripts/install-deps.sh installs them).
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium>=1.0.18)
find_package(SQLite3 REQUIRED)
find_package(Protobuf REQUIRED)
find_package(Threads REQUIRED)
# Standalone Asio (header-only, libasio-dev), used by the relay server only (parley::relay).
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
if(NOT TARGET Asio::asio)
  add_library(Asio::asio INTERFACE IMPORTED)
  set_target_properties(Asio::asio PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${ASIO_INCLUDE_DIR}"
                                              INTERFACE_LINK_LIBRARIES Threads::Threads)
endif()
if(PARLEY_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(PARLEY_BUILD_BENCH)
  find_package(benchmark QUIET)
endif()
