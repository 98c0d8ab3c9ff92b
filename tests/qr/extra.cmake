# The QR code encoder (on libqrencode) and its rendering live with the command-line client;
# its tests compile them directly and read what they draw back with ZXing-C++.
target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/apps/parley/qr.cc ${PROJECT_SOURCE_DIR}/apps/parley/qr_render.cc)
target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/apps/parley)
target_link_libraries(${target} PRIVATE PkgConfig::QRENCODE ZXing::ZXing)
target_compile_definitions(${target} PRIVATE ZX_USE_UTF8)
