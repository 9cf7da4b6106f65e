#include "core/envelope/message_id.h"

#include <openssl/rand.h>

namespace callsignal {

Result<std::string> new_message_id() {
  unsigned char bytes[kMessageIdLength / 2];
  if (RAND_bytes(bytes, static_cast<int>(sizeof bytes)) != 1) {
    return Status::error(Errc::internal, "message id: RAND_bytes failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(kMessageIdLength, '0');
  for (std::size_t i = 0; i < sizeof bytes; ++i) {
    id[2 * i] = kHex[bytes[i] >> 4];
    id[2 * i + 1] = kHex[bytes[i] & 0x0F];
  }
  return id;
}

bool is_valid_message_id(std::string_view id) noexcept {
  if (id.size() != kMessageIdLength) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace callsignal
