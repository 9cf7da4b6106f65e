// What every C ABI entry point shares: the error out-parameter, the exception barrier, argument
// checks, versioned structs, and the handle behind cs_client_t.
#pragma once

#include <callsignal/callsignal.h>

#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "core/client/client.h"
#include "core/common/status.h"

// The opaque cs_client_t: only its address matters. What it stands for lives in the handle
// registry (capi_registry.h), so a stale or foreign pointer is refused instead of dereferenced.
struct cs_client {
  unsigned char unused = 0;
};

namespace callsignal::capi {

// Writes `status` into `err` (if not null): the code, and the message truncated to fit without
// splitting a UTF-8 sequence. Returns the code as the C status.
int fail(cs_error_t* err, const Status& status) noexcept;
int fail(cs_error_t* err, Errc code, const char* message) noexcept;
int to_c_code(Errc code) noexcept;

// Runs `body` (returning Status) behind the exception barrier: nothing escapes into C.
template <typename Body>
int guarded(cs_error_t* err, Body&& body) noexcept {
  try {
    const Status status = body();
    return status.ok() ? CS_OK : fail(err, status);
  } catch (const std::bad_alloc&) {
    return fail(err, Errc::no_memory, "out of memory");
  } catch (const std::exception& e) {
    return fail(err, Errc::internal, e.what());
  } catch (...) {
    return fail(err, Errc::internal, "unexpected exception");
  }
}

// A required (non-null) UTF-8 string argument; `name` goes into the error message.
Status read_string(const char* text, const char* name, std::string& out);
// An optional one: null reads as "".
Status read_optional_string(const char* text, const char* name, std::string& out);
// `count` strings from `items` (null allowed only with count 0).
Status read_string_list(const char* const* items, std::size_t count, const char* name, std::vector<std::string>& out);

// Copies a caller's versioned struct (struct_size first) into `out`, which holds this library's
// defaults. Sizes below the first release's (`min_size`) or above ours are refused.
template <typename T>
Status read_versioned(const T* in, const char* name, std::size_t min_size, T& out) {
  if (in == nullptr) return Status::error(Errc::invalid_argument, std::string(name) + ": must not be NULL");
  const std::uint32_t size = in->struct_size;
  if (size < min_size || size > sizeof(T)) {
    return Status::error(Errc::invalid_argument,
                         std::string(name) + ".struct_size: " + std::to_string(size) + " is not a size this library knows (" +
                             std::to_string(sizeof(T)) + " expected: use the _INIT macro)");
  }
  std::memcpy(static_cast<void*>(&out), static_cast<const void*>(in), size);
  return Status::success();
}

// The int inside a C enum field. Apps may store any int there; reading an out-of-range value as
// the C++ enum type would be undefined behaviour, so it is read as the int it is.
template <typename Enum>
int enum_value(const Enum& field) noexcept {
  static_assert(sizeof(Enum) == sizeof(int), "C enums are int-sized on every supported target");
  int value = 0;
  std::memcpy(&value, &field, sizeof(value));
  return value;
}

// The live client behind a handle, kept alive for the caller's use even if another thread
// destroys the handle meanwhile (the client is then closed: its calls answer closed).
// invalid_argument for NULL, and for a handle that is not (or no longer) a live client.
Status client_of(const cs_client_t* handle, std::shared_ptr<Client>& out);

}  // namespace callsignal::capi
