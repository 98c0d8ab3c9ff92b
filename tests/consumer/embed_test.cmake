# Embedding with add_subdirectory (run by ctest: `cmake -P` this file). Configures
# tests/consumer/embed, an outer project that add_subdirectory()s this source tree (its
# configure-time checks: tests, bench, install and warnings-as-errors off; targets present),
# then builds parley_platform and the consumer's C source against parley::parley's headers.
# With -DFULL=ON it builds and runs the consumer linked to the embedded libparley.so (this
# compiles the libraries once more: minutes on two cores).
#
# Input (-D): PARLEY_SOURCE_DIR, WORK_DIR, C_COMPILER, CXX_COMPILER, GENERATOR, MAKE_PROGRAM,
# BUILD_TYPE, LAUNCHER (optional: a compiler launcher such as ccache), FULL (optional).
cmake_minimum_required(VERSION 3.25)
foreach(var PARLEY_SOURCE_DIR WORK_DIR C_COMPILER CXX_COMPILER GENERATOR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "embed_test.cmake: -D${var}=... is required")
  endif()
endforeach()

function(step name)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " shown "${ARGN}")
    message(FATAL_ERROR "embed: ${name} failed (${rc})\n  ${shown}\n${out}\n${err}")
  endif()
  message(STATUS "embed: ${name}: ok")
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(build ${WORK_DIR}/build)
set(extra "")
if(MAKE_PROGRAM)
  list(APPEND extra -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
if(LAUNCHER)
  list(APPEND extra -DCMAKE_C_COMPILER_LAUNCHER=${LAUNCHER} -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
endif()
step("configure the embedding project" ${CMAKE_COMMAND} -S ${PARLEY_SOURCE_DIR}/tests/consumer/embed -B ${build}
     -G ${GENERATOR} ${extra} -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
     -DCMAKE_BUILD_TYPE=${BUILD_TYPE} -DPARLEY_SOURCE_DIR=${PARLEY_SOURCE_DIR})
step("build parley_platform and the consumer source" ${CMAKE_COMMAND} --build ${build} --target parley_platform
     embed_check)
if(FULL)
  step("build the consumer with the embedded libparley.so" ${CMAKE_COMMAND} --build ${build} --target embed_consumer)
  file(MAKE_DIRECTORY ${WORK_DIR}/run)
  step("run the consumer" ${build}/embed_consumer ${WORK_DIR}/run)
  if(NOT step_output MATCHES "ok\n$")
    message(FATAL_ERROR "embed: the consumer did not end with ok:\n${step_output}")
  endif()
  message(STATUS "${step_output}")
endif()
