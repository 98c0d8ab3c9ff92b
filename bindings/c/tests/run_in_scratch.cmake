# Runs PROGRAM RELAY SCRATCH in a fresh, empty SCRATCH directory (removed afterwards when
# the program passed) and fails when it fails.
file(REMOVE_RECURSE ${SCRATCH})
file(MAKE_DIRECTORY ${SCRATCH})
execute_process(COMMAND ${PROGRAM} ${RELAY} ${SCRATCH} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} failed (${rc}); its files are in ${SCRATCH}")
endif()
file(REMOVE_RECURSE ${SCRATCH})
