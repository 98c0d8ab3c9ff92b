# Store tests: shared fixtures, and the child program the crash test kills. The checkpointer
# is tested directly (an internal piece of the store).
target_sources(${target} PRIVATE ${dir}/store_test_util.cc)
target_include_directories(${target} PRIVATE ${dir} ${PROJECT_SOURCE_DIR}/core/src)
add_executable(parley_store_crash_child ${dir}/crash_child.cc)
target_link_libraries(parley_store_crash_child PRIVATE parley::core parley::platform_posix)
parley_warnings(parley_store_crash_child)
add_dependencies(${target} parley_store_crash_child)
target_compile_definitions(${target} PRIVATE
  PARLEY_STORE_CRASH_CHILD="$<TARGET_FILE:parley_store_crash_child>")
