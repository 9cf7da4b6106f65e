# CALLSIGNAL_SANITIZE=address builds with ASan+UBSan, =thread with TSan. Applied to every target.
if(CALLSIGNAL_SANITIZE STREQUAL "address")
  # RapidJSON 1.1.0 does pointer arithmetic on null in internal/stack.h: not our bug, not fixable here.
  set(_cs_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-sanitize=pointer-overflow
              -fno-omit-frame-pointer)
elseif(CALLSIGNAL_SANITIZE STREQUAL "thread")
  set(_cs_san -fsanitize=thread -fno-omit-frame-pointer)
elseif(NOT CALLSIGNAL_SANITIZE STREQUAL "")
  message(FATAL_ERROR "CALLSIGNAL_SANITIZE must be empty, 'address' or 'thread'")
endif()
if(_cs_san)
  add_compile_options(${_cs_san})
  add_link_options(${_cs_san})
endif()
# For builds outside this tree that link our instrumented libraries (tests/packaging's consumer).
set(CALLSIGNAL_SANITIZER_FLAGS ${_cs_san})
