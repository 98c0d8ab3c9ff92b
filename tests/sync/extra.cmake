# Sync client tests: in-process relays with a fake clock, a fault-injecting proxy, and real
# parley-relay and parley processes on loopback.
target_sources(${target} PRIVATE ${CMAKE_CURRENT_LIST_DIR}/sync_test_util.cc ${CMAKE_CURRENT_LIST_DIR}/scripted_relay.cc
                                  ${CMAKE_CURRENT_LIST_DIR}/harness_relay.cc)
target_link_libraries(${target} PRIVATE parley::relay parley::sync Threads::Threads)
add_dependencies(${target} parley-relay parley)
