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
endfunction()
