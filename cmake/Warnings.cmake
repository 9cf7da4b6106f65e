# Every target of ours builds warning-free: warnings are errors.
add_library(callsignal_warnings INTERFACE)
target_compile_options(callsignal_warnings INTERFACE
  -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
