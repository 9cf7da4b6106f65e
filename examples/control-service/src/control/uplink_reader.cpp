#include "control/uplink_reader.h"

#include <rapidjson/document.h>

#include "core/envelope/frame.h"
#include "core/envelope/message_id.h"
#include "core/session/identity.h"

namespace callsignal::control {

bool is_client_id(std::string_view id) noexcept {
  if (id.size() > 64) return false;
  const std::size_t separator = id.find(kClientIdSeparator);
  if (separator == std::string_view::npos) return false;
  try {
    return validate_id_part("group", id.substr(0, separator)).ok() &&
           validate_id_part("device", id.substr(separator + kClientIdSeparator.size())).ok();
  } catch (...) {
    return false;
  }
}

bool is_uplink_type(MessageType type) noexcept {
  const Direction direction = message_direction(type);
  return direction == Direction::uplink || direction == Direction::both;
}

namespace {

std::string member_string(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

std::optional<SenderHint> sender_hint(std::string_view payload, const CodecLimits& limits) noexcept {
  try {
    auto frame = parse_frame(payload, limits);
    if (!frame.ok()) return std::nullopt;
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseStopWhenDoneFlag>(frame->msg.data(), frame->msg.size());
    if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
    SenderHint hint{member_string(doc, "from"), member_string(doc, "id")};
    if (!is_client_id(hint.from) || !is_valid_message_id(hint.id)) return std::nullopt;
    return hint;
  } catch (...) {
    return std::nullopt;
  }
}

std::optional<BarePresence> bare_presence(std::string_view payload) noexcept {
  try {
    if (payload.size() > 1024) return std::nullopt;
    rapidjson::Document doc;
    doc.Parse(payload.data(), payload.size());
    if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
    if (member_string(doc, "type") != "status") return std::nullopt;
    const std::string state = member_string(doc, "state");
    BarePresence presence{member_string(doc, "client_id"), state == "online"};
    if (!is_client_id(presence.client_id) || (state != "online" && state != "offline")) return std::nullopt;
    return presence;
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace callsignal::control
