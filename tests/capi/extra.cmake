# The C ABI through libparley.so (bindings/c), against real parley-relay processes.
target_link_libraries(${target} PRIVATE parley::parley Threads::Threads)
add_dependencies(${target} parley-relay)
