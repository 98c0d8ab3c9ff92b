target_link_libraries(${target} PRIVATE parley::sync)
