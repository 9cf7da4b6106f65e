#include "core/filter/message_id.h"

#include <cstring>

namespace callsignal {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::optional<MessageId> MessageId::from_hex(std::string_view hex) noexcept {
  if (hex.size() != kHexChars) return std::nullopt;
  MessageId id;
  for (std::size_t i = 0; i < kBytes; ++i) {
    const int high = hex_value(hex[2 * i]);
    const int low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    id.bytes[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return id;
}

std::string MessageId::to_hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(kHexChars, '0');
  for (std::size_t i = 0; i < kBytes; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0F];
  }
  return out;
}

std::size_t MessageIdHash::operator()(const MessageId& id) const noexcept {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  std::memcpy(&lo, id.bytes.data(), 8);
  std::memcpy(&hi, id.bytes.data() + 8, 8);
  std::uint64_t x = lo ^ (hi * 0x9E3779B97F4A7C15ull);
  x ^= x >> 32;
  x *= 0xD6E8FEB86659FD93ull;
  x ^= x >> 32;
  return static_cast<std::size_t>(x);
}

}  // namespace callsignal
