#include "capi/capi_support.h"

#include "capi/capi_registry.h"

#include <algorithm>

#include "core/common/utf8.h"

namespace callsignal::capi {

int to_c_code(Errc code) noexcept {
  // Errc and the CS_E_* codes share their values (status.h promises stability).
  return static_cast<int>(code);
}
static_assert(CS_E_INVALID_ARGUMENT == static_cast<int>(Errc::invalid_argument));
static_assert(CS_E_INVALID_CONFIG == static_cast<int>(Errc::invalid_config));
static_assert(CS_E_INVALID_STATE == static_cast<int>(Errc::invalid_state));
static_assert(CS_E_CLOSED == static_cast<int>(Errc::closed));
static_assert(CS_E_OUTBOX_FULL == static_cast<int>(Errc::outbox_full));
static_assert(CS_E_IO == static_cast<int>(Errc::io_error));
static_assert(CS_E_NOT_CONNECTED == static_cast<int>(Errc::not_connected));
static_assert(CS_E_TIMEOUT == static_cast<int>(Errc::timeout));
static_assert(CS_E_TLS == static_cast<int>(Errc::tls_error));
static_assert(CS_E_AUTH == static_cast<int>(Errc::auth_error));
static_assert(CS_E_BROKER == static_cast<int>(Errc::broker_error));
static_assert(CS_E_EXPIRED == static_cast<int>(Errc::expired));
static_assert(CS_E_INTERNAL == static_cast<int>(Errc::internal));
static_assert(CS_E_NO_MEMORY == static_cast<int>(Errc::no_memory));
static_assert(CS_E_UNKNOWN_CALL == static_cast<int>(Errc::unknown_call));

int fail(cs_error_t* err, Errc code, const char* message) noexcept {
  if (err != nullptr) {
    err->code = to_c_code(code);
    std::size_t length = std::min(std::strlen(message), sizeof(err->message) - 1);
    // Back off to the start of a UTF-8 sequence so the truncated text stays valid.
    while (length > 0 && length < std::strlen(message) &&
           (static_cast<unsigned char>(message[length]) & 0xC0) == 0x80) {
      --length;
    }
    std::memcpy(err->message, message, length);
    err->message[length] = '\0';
  }
  return to_c_code(code);
}

int fail(cs_error_t* err, const Status& status) noexcept { return fail(err, status.code, status.message.c_str()); }

Status read_string(const char* text, const char* name, std::string& out) {
  if (text == nullptr) return Status::error(Errc::invalid_argument, std::string(name) + ": must not be NULL");
  return read_optional_string(text, name, out);
}

Status read_optional_string(const char* text, const char* name, std::string& out) {
  if (text == nullptr) {
    out.clear();
    return Status::success();
  }
  std::string_view view(text);
  if (!is_valid_utf8(view)) return Status::error(Errc::invalid_argument, std::string(name) + ": not valid UTF-8");
  out.assign(view);
  return Status::success();
}

Status read_string_list(const char* const* items, std::size_t count, const char* name, std::vector<std::string>& out) {
  out.clear();
  if (count == 0) return Status::success();
  if (items == nullptr) return Status::error(Errc::invalid_argument, std::string(name) + ": NULL with a count above 0");
  if (count > 1024) return Status::error(Errc::invalid_argument, std::string(name) + ": too many entries");
  out.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string item_name = std::string(name) + "[" + std::to_string(i) + "]";
    if (Status s = read_string(items[i], item_name.c_str(), out[i]); !s.ok()) return s;
  }
  return Status::success();
}

Status client_of(const cs_client_t* handle, std::shared_ptr<Client>& out) {
  if (handle == nullptr) return Status::error(Errc::invalid_argument, "client: must not be NULL");
  out = find_client(handle);
  if (!out) return Status::error(Errc::invalid_argument, "client: not a live client (destroyed, or never created)");
  return Status::success();
}

}  // namespace callsignal::capi
