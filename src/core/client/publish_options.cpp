#include "core/client/publish_options.h"

#include <algorithm>
#include <limits>

namespace callsignal {

std::optional<PublishOptions> publish_options_for(const Envelope& message, std::int64_t service_now_ms) {
  const std::int64_t remaining_ms = message.ts_ms + message.ttl_ms - service_now_ms;
  if (remaining_ms <= 0) return std::nullopt;
  const std::int64_t seconds = (remaining_ms + 999) / 1000;
  PublishOptions options;
  options.message_expiry_s = static_cast<std::uint32_t>(
      std::min<std::int64_t>(seconds, std::numeric_limits<std::uint32_t>::max()));
  return options;
}

}  // namespace callsignal
