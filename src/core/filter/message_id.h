// MessageId: the 128-bit id every message carries, 32 lowercase hex characters on the wire
// ("0123456789abcdef0123456789abcdef"). Ids are random (OpenSSL's RNG at the sender), so the
// filter can treat them as opaque bytes; nothing here assumes they are well distributed.
//
// A plain value type: copyable, comparable, no allocation except to_hex's string.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace callsignal {

struct MessageId {
  static constexpr std::size_t kBytes = 16;
  static constexpr std::size_t kHexChars = 2 * kBytes;

  // In wire order: bytes[0] is the first two hex characters.
  std::array<std::uint8_t, kBytes> bytes{};

  // Parses exactly 32 lowercase hex characters. Anything else (length, uppercase, other
  // characters) gives nullopt: one spelling per id, so that logs and signatures agree.
  static std::optional<MessageId> from_hex(std::string_view hex) noexcept;
  // The 32 lowercase hex characters.
  std::string to_hex() const;

  // memcmp with a constant size compiles to two 8-byte compares (std::array's == calls memcmp).
  friend bool operator==(const MessageId& a, const MessageId& b) noexcept {
    return std::memcmp(a.bytes.data(), b.bytes.data(), kBytes) == 0;
  }
  friend bool operator!=(const MessageId& a, const MessageId& b) noexcept { return !(a == b); }
  friend bool operator<(const MessageId& a, const MessageId& b) noexcept {
    return std::memcmp(a.bytes.data(), b.bytes.data(), kBytes) < 0;
  }
};

// For unordered containers of a few ids (not keyed: SeenSet, which may hold ids chosen by an
// attacker, uses its own seeded hash).
struct MessageIdHash {
  std::size_t operator()(const MessageId& id) const noexcept;
};

}  // namespace callsignal
