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
# cpp-httplib (libcpp-httplib-dev): the HTTP server of the relay's metrics endpoint
# (sync/relay/src/metrics_http.cc) and the HTTP client of its tests (tests/relay). Debian ships it compiled (libcpp-httplib.so, with OpenSSL, zlib and Brotli
# support): its pkg-config file gives the definitions its header must be read with (they
# change the classes' layout). Without one, httplib.h is taken as the header-only library.
pkg_check_modules(HTTPLIB QUIET IMPORTED_TARGET cpp-httplib)
find_path(HTTPLIB_INCLUDE_DIR httplib.h HINTS ${HTTPLIB_INCLUDE_DIRS} REQUIRED)
if(NOT TARGET Httplib::httplib)
  add_library(Httplib::httplib INTERFACE IMPORTED)
  set_target_properties(Httplib::httplib PROPERTIES
                        INTERFACE_INCLUDE_DIRECTORIES "${HTTPLIB_INCLUDE_DIR}"
                        INTERFACE_LINK_LIBRARIES Threads::Threads)
  if(HTTPLIB_FOUND)
    set_property(TARGET Httplib::httplib APPEND PROPERTY INTERFACE_LINK_LIBRARIES
                 PkgConfig::HTTPLIB)
  endif()
endif()
# zxcvbn-c (libzxcvbn-dev): the passphrase strength estimate of the store (core/src/store/
# passphrase_policy.cc). Plain find_path/find_library, so a cross build finds the target
# architecture's copy through CMAKE_FIND_ROOT_PATH like any other library.
find_path(ZXCVBN_INCLUDE_DIR zxcvbn.h REQUIRED)
find_library(ZXCVBN_LIBRARY zxcvbn REQUIRED)
if(NOT TARGET Zxcvbn::zxcvbn)
  add_library(Zxcvbn::zxcvbn UNKNOWN IMPORTED)
  set_target_properties(Zxcvbn::zxcvbn PROPERTIES IMPORTED_LOCATION "${ZXCVBN_LIBRARY}"
                                                  INTERFACE_INCLUDE_DIRECTORIES "${ZXCVBN_INCLUDE_DIR}")
endif()
# The command-line programs: CLI11 (libcli11-dev, header-only) parses their arguments,
# nlohmann-json (nlohmann-json3-dev, header-only) writes their JSON (and core reads JSON lines
# with it, model/import.cc), libqrencode
# (libqrencode-dev) encodes the QR codes `parley` shows.
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
pkg_check_modules(QRENCODE REQUIRED IMPORTED_TARGET libqrencode)
# utf8proc (libutf8proc-dev): display widths and grapheme clusters, so `parley` aligns its
# tables and cuts text where a terminal would (apps/parley/table.cc).
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
# parley-relay: its configuration file is TOML (toml++, libtomlplusplus-dev); libsystemd
# (libsystemd-dev) is optional: with it the relay tells systemd when it is ready and stopping.
pkg_check_modules(TOMLPLUSPLUS REQUIRED IMPORTED_TARGET tomlplusplus)
pkg_check_modules(SYSTEMD QUIET IMPORTED_TARGET libsystemd)
find_program(SYSTEMD_ANALYZE systemd-analyze)
if(PARLEY_BUILD_TESTS)
  find_package(GTest REQUIRED)
  # ZXing-C++ (libzxing-dev): the tests read back the QR codes `parley` draws.
  find_package(ZXing REQUIRED)
endif()
if(PARLEY_BUILD_BENCH)
  find_package(benchmark QUIET)
endif()
