# The text rendering of `parley` (apps/parley/table.cc) tested as a unit: display widths,
# clipping and times, without running the program.
target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/apps/parley/table.cc)
target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/apps/parley)
target_link_libraries(${target} PRIVATE PkgConfig::UTF8PROC)
