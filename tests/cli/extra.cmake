# The CLI tests run the built `parley` binary as a subprocess.
target_sources(${target} PRIVATE ${dir}/cli_runner.cc ${dir}/background_parley.cc ${dir}/process_probe.cc)
# forkpty(3): a pseudo-terminal drives `parley` as a person at a terminal would.
target_link_libraries(${target} PRIVATE util)
add_dependencies(${target} parley)
# The offline walk-through of the README, run against the freshly built binary.
add_test(NAME parley_walkthrough
         COMMAND ${PROJECT_SOURCE_DIR}/scripts/walkthrough.sh $<TARGET_FILE:parley>)
set_tests_properties(parley_walkthrough PROPERTIES LABELS cli TIMEOUT 300)
# Enrollment through a real parley-relay process (support/relay_process.h).
add_dependencies(${target} parley-relay)
# The writer process of the backup test (backup_test.cc).
add_executable(parley_note_writer ${dir}/note_writer.cc)
target_link_libraries(parley_note_writer PRIVATE parley::sync parley::platform_posix)
parley_warnings(parley_note_writer)
add_dependencies(${target} parley_note_writer)
target_compile_definitions(${target} PRIVATE PARLEY_NOTE_WRITER="$<TARGET_FILE:parley_note_writer>")
# device_qr_test reads the QR code `parley` draws back with ZXing-C++ (tests/qr/qr_reader.h).
target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests/qr)
target_link_libraries(${target} PRIVATE ZXing::ZXing)
target_compile_definitions(${target} PRIVATE ZX_USE_UTF8)
# import_test.cc imports the example files of docs/cli.md ("Import").
target_compile_definitions(${target} PRIVATE PARLEY_DOCS_DIR="${PROJECT_SOURCE_DIR}/docs")
# readme_test.cc runs the README's examples, read from the source tree when it runs.
target_compile_definitions(${target} PRIVATE PARLEY_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
