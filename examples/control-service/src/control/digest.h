// Hashes and random strings the control service needs (RTC tokens, call ids), via OpenSSL.
// Thread-safe. Errors are Errc::internal (OpenSSL failed, or its RNG is not seeded).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/common/status.h"

namespace callsignal::control {

// Lowercase hex of SHA-256(data).
Result<std::string> sha256_hex(std::string_view data);

// Lowercase hex of HMAC-SHA256(key, data).
Result<std::string> hmac_sha256_hex(std::string_view key, std::string_view data);

// `bytes` random bytes from OpenSSL's CSPRNG, as 2 * bytes lowercase hex characters.
Result<std::string> random_hex(std::size_t bytes);

}  // namespace callsignal::control
