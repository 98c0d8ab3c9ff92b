# Sync client tests: in-process relays with a fake clock, a fault-injecting proxy, and real
# parley-relay and parley processes on loopback.
target_sources(${target} PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/fault_proxy.cc
  ${CMAKE_CURRENT_LIST_DIR}/sync_test_util.cc
  ${CMAKE_CURRENT_LIST_DIR}/../relay/relay_process.cc)
target_link_libraries(${target} PRIVATE parley::sync Threads::Threads)
add_dependencies(${target} parley-relay parley)
