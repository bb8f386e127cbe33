# Run at every build (not only at configure time): writes OUT with the commit and a -dirty
# mark, replacing it only when that changes, so provenance written by a binary names the
# source it was built from and unchanged builds stay no-ops.
execute_process(COMMAND git rev-parse --short=12 HEAD
  WORKING_DIRECTORY ${SRC} OUTPUT_VARIABLE hash OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git status --porcelain --untracked-files=no
  WORKING_DIRECTORY ${SRC} OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT hash)
  set(hash "unknown")
elseif(dirty)
  set(hash "${hash}-dirty")
endif()
file(WRITE ${OUT}.tmp "#define GAITLAB_GIT_HASH \"${hash}\"\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
