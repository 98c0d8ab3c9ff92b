# Relay tests: the wire, the storage, in-process relays over socketpairs, and real
# parley-relay processes on loopback.
target_sources(${target} PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/test_client.cc
  ${CMAKE_CURRENT_LIST_DIR}/test_changes.cc)
target_link_libraries(${target} PRIVATE parley::relay parley::sync Threads::Threads Httplib::httplib)
# The cross-check with the change codec reads core's internal header; the push check is
# tested directly (the relay's internal header).
target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/core/src ${PROJECT_SOURCE_DIR}/sync/relay/src)
add_dependencies(${target} parley-relay)
