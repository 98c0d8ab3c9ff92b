# The installed package, as an integrator uses it (run by ctest: `cmake -P` this file).
#
#  1. `cmake --install` the current build into WORK_DIR/prefix; check the layout and SONAME.
#  2. find_package(Parley) (CMAKE_PREFIX_PATH=prefix): build tests/consumer/project (C against
#     parley::parley, C++ against parley::parley_static) and run both.
#  3. pkg-config (PKG_CONFIG_PATH=prefix/LIBDIR/pkgconfig): build consumer.c with the plain C
#     compiler and `pkg-config --cflags --libs parley`, run it with LD_LIBRARY_PATH=prefix/LIBDIR.
#  4. pkg-config --static: a fully static executable (`cc -static`), checked to have no
#     dynamic section, and run.
# Each program creates a device in its own empty directory, writes a note, reads it back and
# prints "ok" last.
#
# Input (-D): PARLEY_BINARY_DIR, CONSUMER_DIR (tests/consumer), WORK_DIR, LIBDIR
# (CMAKE_INSTALL_LIBDIR), C_COMPILER, CXX_COMPILER, GENERATOR, MAKE_PROGRAM, BUILD_TYPE.
cmake_minimum_required(VERSION 3.25)
foreach(var PARLEY_BINARY_DIR CONSUMER_DIR WORK_DIR LIBDIR C_COMPILER CXX_COMPILER GENERATOR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "consumer_test.cmake: -D${var}=... is required")
  endif()
endforeach()

# Runs a command; on failure prints its output and stops. OUTPUT_VARIABLE receives stdout.
function(step name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "OUTPUT_VARIABLE" "COMMAND")
  execute_process(COMMAND ${arg_COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " shown "${arg_COMMAND}")
    message(FATAL_ERROR "consumer: ${name} failed (${rc})\n  ${shown}\n${out}\n${err}")
  endif()
  message(STATUS "consumer: ${name}: ok")
  if(arg_OUTPUT_VARIABLE)
    set(${arg_OUTPUT_VARIABLE} "${out}" PARENT_SCOPE)
  endif()
endfunction()

# Runs a consumer program in a fresh directory and checks it ends with "ok".
function(run_consumer name program)
  set(dir ${WORK_DIR}/run-${name})
  file(MAKE_DIRECTORY ${dir})
  step("run ${name}" COMMAND ${CMAKE_COMMAND} -E env "LD_LIBRARY_PATH=${prefix}/${LIBDIR}" ${program} ${dir}
       OUTPUT_VARIABLE out)
  if(NOT out MATCHES "ok\n$")
    message(FATAL_ERROR "consumer: ${name} did not end with ok:\n${out}")
  endif()
  message(STATUS "${out}")
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
set(libdir ${prefix}/${LIBDIR})

# 1. Install.
set(config_args "")
if(BUILD_TYPE)
  set(config_args --config ${BUILD_TYPE})
endif()
step("cmake --install" COMMAND ${CMAKE_COMMAND} --install ${PARLEY_BINARY_DIR} --prefix ${prefix} ${config_args})
foreach(file bin/parley bin/parley-relay ${LIBDIR}/libparley.so ${LIBDIR}/libparley.a
             include/parley/parley.h include/parley/parley_version.h include/parley/device.h
             include/parley/change.pb.h ${LIBDIR}/cmake/Parley/ParleyConfig.cmake
             ${LIBDIR}/cmake/Parley/ParleyConfigVersion.cmake ${LIBDIR}/pkgconfig/parley.pc)
  if(NOT EXISTS ${prefix}/${file})
    message(FATAL_ERROR "consumer: the install has no ${file}")
  endif()
endforeach()
step("readelf libparley.so" COMMAND readelf -d ${libdir}/libparley.so OUTPUT_VARIABLE dynamic)
if(NOT dynamic MATCHES "SONAME\\)[^\n]*\\[libparley\\.so\\.[0-9]+(\\.[0-9]+)?\\]")
  message(FATAL_ERROR "consumer: libparley.so has no SONAME libparley.so.N:\n${dynamic}")
endif()
if(dynamic MATCHES "RUNPATH|RPATH")
  message(FATAL_ERROR "consumer: the installed libparley.so keeps a build RPATH:\n${dynamic}")
endif()

# 2. find_package(Parley).
set(make_program "")
if(MAKE_PROGRAM)
  set(make_program -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
step("configure with find_package" COMMAND ${CMAKE_COMMAND} -S ${CONSUMER_DIR}/project -B ${WORK_DIR}/cmake-build
     -G ${GENERATOR} ${make_program} -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
     -DCMAKE_BUILD_TYPE=${BUILD_TYPE} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
step("build with find_package" COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/cmake-build)
run_consumer(find-package-c ${WORK_DIR}/cmake-build/parley_consumer)
run_consumer(find-package-cxx-static ${WORK_DIR}/cmake-build/parley_consumer_cxx)

# 3. pkg-config, shared.
set(ENV{PKG_CONFIG_PATH} ${libdir}/pkgconfig)
step("pkg-config --cflags --libs parley" COMMAND pkg-config --cflags --libs parley OUTPUT_VARIABLE flags)
string(STRIP "${flags}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
step("cc with pkg-config" COMMAND ${C_COMPILER} -std=c99 -Wall -Wextra -Wpedantic -Werror
     ${CONSUMER_DIR}/consumer.c ${flags} -o ${WORK_DIR}/pkg-config-consumer)
step("readelf pkg-config consumer" COMMAND readelf -d ${WORK_DIR}/pkg-config-consumer OUTPUT_VARIABLE dynamic)
if(NOT dynamic MATCHES "NEEDED\\)[^\n]*\\[libparley\\.so\\.[0-9]+(\\.[0-9]+)?\\]")
  message(FATAL_ERROR "consumer: the pkg-config consumer does not load libparley.so.N:\n${dynamic}")
endif()
run_consumer(pkg-config-c ${WORK_DIR}/pkg-config-consumer)

# 4. pkg-config --static: one static executable, no libparley.so.
step("pkg-config --static --cflags --libs parley" COMMAND pkg-config --static --cflags --libs parley
     OUTPUT_VARIABLE flags)
string(STRIP "${flags}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
step("cc -static with pkg-config" COMMAND ${C_COMPILER} -static -std=c99 -Wall -Wextra -Wpedantic -Werror
     ${CONSUMER_DIR}/consumer.c ${flags} -o ${WORK_DIR}/pkg-config-consumer-static)
step("readelf static consumer" COMMAND readelf -d ${WORK_DIR}/pkg-config-consumer-static OUTPUT_VARIABLE dynamic)
if(dynamic MATCHES "NEEDED")
  message(FATAL_ERROR "consumer: the static consumer loads shared libraries:\n${dynamic}")
endif()
run_consumer(pkg-config-c-static ${WORK_DIR}/pkg-config-consumer-static)

message(STATUS "consumer: 4 programs built against the installed package and run: ok")
