// Message ids: 128 random bits from OpenSSL's CSPRNG, as 32 lowercase hex characters. Ids are the
// dedup key across MQTT and OS push, so they must not collide and must not be guessable.
#pragma once

#include <string>
#include <string_view>

#include "core/common/status.h"

namespace callsignal {

inline constexpr std::size_t kMessageIdLength = 32;

// A fresh id. Errors: internal (RAND_bytes failed: the RNG is not seeded).
Result<std::string> new_message_id();

// Exactly 32 characters from [0-9a-f].
bool is_valid_message_id(std::string_view id) noexcept;

}  // namespace callsignal
