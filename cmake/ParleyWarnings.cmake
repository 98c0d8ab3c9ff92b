# Parley's own targets get these warnings; with PARLEY_WARNINGS_AS_ERRORS (on when Parley is
# the top-level project, and in CI) they are errors. Third-party and generated code keep theirs.
function(parley_warnings target)
  set(as_errors "")
  if(PARLEY_WARNINGS_AS_ERRORS)
    set(as_errors -Werror)
  endif()
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic ${as_errors} -Wshadow -Wnon-virtual-dtor
    -Wcast-align -Wunused -Woverloaded-virtual -Wnull-dereference -Wformat=2
    -Wimplicit-fallthrough)
  # GCC 12 at -O3 (Release) reports libstdc++'s own string, std::equal and std::optional code
  # as overlapping, over-reading or uninitialized when inlined into ours (false positives such
  # as GCC bug 105329); these flow-based warnings stay on at -O2 and with GCC 13 and later.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE
      $<$<CONFIG:Release>:-Wno-restrict -Wno-stringop-overread -Wno-maybe-uninitialized -Wno-array-bounds>)
  endif()
endfunction()
