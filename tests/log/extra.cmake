# The log tests also check internal pieces (clock, codec, pairing codes) directly.
target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/core/src)
target_link_libraries(${target} PRIVATE PkgConfig::SODIUM)
