# Relay tests: the wire, the storage, in-process relays over socketpairs, and real
# parley-relay processes on loopback.
target_sources(${target} PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/test_client.cc
  ${CMAKE_CURRENT_LIST_DIR}/test_changes.cc)
target_link_libraries(${target} PRIVATE parley::relay parley::sync Threads::Threads)
# The metrics tests' HTTP client (cpp-httplib): only that file reads httplib.h, with the
# definitions the library was built with (ParleyDependencies.cmake).
target_link_libraries(${target} PRIVATE $<LINK_ONLY:Httplib::httplib>)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/relay_metrics_test.cc PROPERTIES
                            COMPILE_OPTIONS "${HTTPLIB_CFLAGS_OTHER}")
if(NOT HTTPLIB_INCLUDE_DIR IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
  set_property(SOURCE ${CMAKE_CURRENT_LIST_DIR}/relay_metrics_test.cc APPEND PROPERTY
               INCLUDE_DIRECTORIES "${HTTPLIB_INCLUDE_DIR}")
endif()
# The cross-check with the change codec reads core's internal header; the push check is
# tested directly (the relay's internal header).
target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/core/src ${PROJECT_SOURCE_DIR}/sync/relay/src)
add_dependencies(${target} parley-relay)
# The tests against real relay processes run a second time with PostgreSQL storage
# (support/relay_test_storage.h): one server per test program, a database per relay. Not the
# ones about the SQLite file itself (a full disk under the relay's own file, a copied-back
# database file).
gtest_discover_tests(${target} DISCOVERY_TIMEOUT 60 TEST_SUFFIX "@postgresql"
  TEST_FILTER "RelayAbuse.*:RelayCrash.*:RelayLargeChange.*:RelayProtocol.*:RelayRevocation.*:RelaySignature.*"
  PROPERTIES LABELS "relay;postgresql" ENVIRONMENT PARLEY_TEST_RELAY_STORAGE=postgresql)
# The systemd unit, verified by systemd (when systemd-analyze is installed) with ExecStart=
# pointing at this build's parley-relay.
if(SYSTEMD_ANALYZE)
  add_test(NAME relay_systemd_unit_verify
           COMMAND ${CMAKE_COMMAND} -DUNIT=${PROJECT_SOURCE_DIR}/packaging/parley-relay.service
                   -DBINARY=$<TARGET_FILE:parley-relay> -DANALYZE=${SYSTEMD_ANALYZE}
                   -DWORK=${CMAKE_CURRENT_BINARY_DIR}/systemd-unit
                   -P ${PROJECT_SOURCE_DIR}/packaging/verify-unit.cmake)
  set_tests_properties(relay_systemd_unit_verify PROPERTIES LABELS relay)
endif()
# relay_cli_test reads `backup verify --json` and edits a backup's SQLite file; it runs the
# systemd notification test when the relay was built with libsystemd.
target_link_libraries(${target} PRIVATE nlohmann_json::nlohmann_json SQLite::SQLite3)
if(SYSTEMD_FOUND)
  target_compile_definitions(${target} PRIVATE PARLEY_RELAY_HAS_SYSTEMD=1)
endif()
