# The QR Code encoder lives with the command-line client; its tests compile it directly.
target_sources(${target} PRIVATE ${CMAKE_SOURCE_DIR}/apps/parley/qr.cc ${CMAKE_SOURCE_DIR}/apps/parley/qr_symbol.cc
               ${CMAKE_SOURCE_DIR}/apps/parley/qr_render.cc)
target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR}/apps/parley)
