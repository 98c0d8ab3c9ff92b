# ctest script: `systemd-analyze verify` of packaging/parley-relay.service with ExecStart=
# pointing at the built parley-relay. Fails when verify fails or says anything about the unit
# (systemd reports unknown keys and bad values as warnings and still exits 0).
#   cmake -DUNIT=.../parley-relay.service -DBINARY=.../parley-relay -DANALYZE=systemd-analyze
#         -DWORK=DIR -P verify-unit.cmake
foreach(var UNIT BINARY ANALYZE WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "verify-unit.cmake needs -D${var}=...")
  endif()
endforeach()
file(READ "${UNIT}" text)
string(REPLACE "/usr/bin/parley-relay" "${BINARY}" text "${text}")
if(NOT text MATCHES "ExecStart=${BINARY} serve")
  message(FATAL_ERROR "the unit's ExecStart= does not run /usr/bin/parley-relay serve")
endif()
file(MAKE_DIRECTORY "${WORK}")
file(WRITE "${WORK}/parley-relay.service" "${text}")
execute_process(COMMAND "${ANALYZE}" verify "${WORK}/parley-relay.service"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(CONCAT all "${out}" "${err}")
string(REGEX MATCHALL "[^\n]*parley-relay[^\n]*" about_unit "${all}")
if(NOT rc EQUAL 0 OR about_unit)
  message(FATAL_ERROR "systemd-analyze verify (exit ${rc}) on the unit:\n${all}")
endif()
message(STATUS "systemd-analyze verify: the unit is clean")
