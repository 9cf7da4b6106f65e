#include "core/envelope/message_type.h"

#include <array>

namespace callsignal {

namespace {

struct TypeInfo {
  std::string_view name;
  Direction direction;
  bool call_scoped;
};

// Indexed by the enum value.
constexpr std::array<TypeInfo, kMessageTypeCount> kTypes{{
    {"hello", Direction::uplink, false},
    {"hello_ack", Direction::downlink, false},
    {"call_request", Direction::uplink, false},
    {"invite", Direction::downlink, true},
    {"ringing", Direction::uplink, true},
    {"accept", Direction::uplink, true},
    {"reject", Direction::uplink, true},
    {"busy", Direction::uplink, true},
    {"cancel", Direction::both, true},
    {"hangup", Direction::both, true},
    {"call_ended", Direction::downlink, true},
    {"participant_update", Direction::downlink, true},
    {"invite_more", Direction::uplink, true},
    {"mute_request", Direction::both, true},
    {"kick", Direction::uplink, true},
    {"end_for_all", Direction::uplink, true},
    {"keepalive", Direction::both, true},
    {"token_renewal_request", Direction::uplink, true},
    {"token_renewal", Direction::downlink, true},
    {"status", Direction::uplink, false},
    {"error", Direction::downlink, false},
    {"drain", Direction::loopback, false},
    {"ack", Direction::uplink, false},
}};

const TypeInfo* info(MessageType type) noexcept {
  const int i = static_cast<int>(type);
  if (i < 0 || i >= kMessageTypeCount) return nullptr;
  return &kTypes[static_cast<std::size_t>(i)];
}

}  // namespace

const char* to_string(MessageType type) noexcept {
  const TypeInfo* t = info(type);
  // Every name in kTypes is a string literal, so data() is NUL-terminated.
  return t != nullptr ? t->name.data() : "unknown";
}

std::optional<MessageType> parse_message_type(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kTypes.size(); ++i) {
    if (kTypes[i].name == name) return static_cast<MessageType>(i);
  }
  return std::nullopt;
}

Direction message_direction(MessageType type) noexcept {
  const TypeInfo* t = info(type);
  return t != nullptr ? t->direction : Direction::downlink;
}

bool is_call_scoped(MessageType type) noexcept {
  const TypeInfo* t = info(type);
  return t != nullptr && t->call_scoped;
}

}  // namespace callsignal
