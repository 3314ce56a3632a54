# Warnings live on an INTERFACE target so they never leak into users' builds.
add_library(emb_warnings INTERFACE)
target_compile_options(emb_warnings INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wno-unused-parameter>)
