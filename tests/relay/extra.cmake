# Relay tests: the wire, the storage, in-process relays over socketpairs, and real
# parley-relay processes on loopback.
target_sources(${target} PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/test_client.cc
  ${CMAKE_CURRENT_LIST_DIR}/test_changes.cc)
target_link_libraries(${target} PRIVATE parley::relay parley::sync Threads::Threads)
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
