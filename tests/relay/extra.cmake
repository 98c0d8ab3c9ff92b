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
