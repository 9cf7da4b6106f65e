#include "core/session/identity.h"

#include <cstdio>

#include "core/common/utf8.h"

namespace callsignal {
namespace {

Status bad(std::string_view field, const std::string& what) {
  std::string message(field);
  message += ": ";
  message += what;
  return Status::error(Errc::invalid_argument, std::move(message));
}

// The value as it can appear in a message: quoted, non-printable bytes as \xHH, at most ~80 bytes.
std::string quoted(std::string_view value) {
  constexpr std::size_t kMaxShown = 80;
  std::string out = "\"";
  for (std::size_t i = 0; i < value.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    }
  }
  if (value.size() > kMaxShown) out += "...";
  out += '"';
  return out;
}

bool is_id_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':';
}

// Offset of the first NUL or control character (C0, DEL, C1) in valid UTF-8 text, or npos.
std::size_t control_char_offset(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) return i;
    // U+0080..U+009F encode as C2 80..C2 9F; in valid UTF-8 a C2 here is always a lead byte.
    if (c == 0xC2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return i;
    }
  }
  return std::string_view::npos;
}

// The checks shared by topics, filters and parents.
Status check_text(std::string_view field, std::string_view text, std::size_t max_length) {
  if (text.empty()) return bad(field, "must not be empty");
  if (text.size() > max_length) {
    return bad(field, "is " + std::to_string(text.size()) + " bytes, more than the maximum " +
                          std::to_string(max_length) + " (" + quoted(text) + ")");
  }
  const std::size_t invalid = utf8_error_offset(text);
  if (invalid != std::string_view::npos) {
    return bad(field, "is not valid UTF-8 (byte " + std::to_string(invalid) + " of " + quoted(text) + ")");
  }
  const std::size_t control = control_char_offset(text);
  if (control != std::string_view::npos) {
    return bad(field, std::string(text[control] == '\0' ? "must not contain NUL" : "must not contain control characters") +
                          " (byte " + std::to_string(control) + " of " + quoted(text) + ")");
  }
  return Status::success();
}

enum class TopicKind { publish, filter };

Status check_topic(std::string_view field, std::string_view topic, std::size_t max_length, TopicKind kind) {
  // 65535 is MQTT's own limit for a UTF-8 string: no configured maximum can exceed it.
  constexpr std::size_t kMqttMax = 65535;
  Status status = check_text(field, topic, max_length < kMqttMax ? max_length : kMqttMax);
  if (!status.ok()) return status;

  std::size_t level_start = 0;
  while (true) {
    const std::size_t slash = topic.find('/', level_start);
    const std::size_t level_end = slash == std::string_view::npos ? topic.size() : slash;
    const std::string_view level = topic.substr(level_start, level_end - level_start);
    if (level.empty()) {
      return bad(field, "must not have an empty level (byte " + std::to_string(level_start) + " of " +
                            quoted(topic) + ")");
    }
    const bool has_plus = level.find('+') != std::string_view::npos;
    const bool has_hash = level.find('#') != std::string_view::npos;
    if ((has_plus || has_hash) && kind == TopicKind::publish) {
      return bad(field, "wildcards '+' and '#' are not allowed in a publish topic (" + quoted(topic) + ")");
    }
    if (has_hash && (level != "#" || level_end != topic.size())) {
      return bad(field, "'#' must be the whole last level (" + quoted(topic) + ")");
    }
    if (has_plus && level != "+") {
      return bad(field, "'+' must be a whole level (" + quoted(topic) + ")");
    }
    if (slash == std::string_view::npos) break;
    level_start = slash + 1;
  }
  return Status::success();
}

}  // namespace

Status validate_id_part(std::string_view field, std::string_view value) {
  if (value.empty()) return bad(field, "must not be empty");
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!is_id_char(value[i])) {
      // '@' gets its own message: it is the usual way to smuggle the separator into a part.
      if (value[i] == '@') {
        return bad(field, "must not contain '@' (\"@@@\" separates group and device) (" + quoted(value) + ")");
      }
      return bad(field, "invalid character at position " + std::to_string(i) +
                            " (allowed: letters, digits, '-', '_', '.', ':') (" + quoted(value) + ")");
    }
  }
  return Status::success();
}

Result<std::string> make_client_id(std::string_view group_id, std::string_view device_id,
                                   std::size_t max_length) {
  Status status = validate_id_part("group_id", group_id);
  if (!status.ok()) return status;
  status = validate_id_part("device_id", device_id);
  if (!status.ok()) return status;

  const std::size_t length = group_id.size() + kClientIdSeparator.size() + device_id.size();
  if (length > max_length) {
    // Blame group_id when even a one-character device id would not fit after it.
    const bool group_too_long = group_id.size() + kClientIdSeparator.size() + 1 > max_length;
    return bad(group_too_long ? "group_id" : "device_id",
               "makes the client id " + std::to_string(length) + " characters long, more than the maximum " +
                   std::to_string(max_length));
  }
  std::string client_id;
  client_id.reserve(length);
  client_id.append(group_id).append(kClientIdSeparator).append(device_id);
  return client_id;
}

Status validate_publish_topic(std::string_view field, std::string_view topic, std::size_t max_length) {
  return check_topic(field, topic, max_length, TopicKind::publish);
}

Status validate_topic_filter(std::string_view field, std::string_view filter, std::size_t max_length) {
  return check_topic(field, filter, max_length, TopicKind::filter);
}

Status validate_parent_topic(std::string_view field, std::string_view parent) {
  Status status = check_text(field, parent, 65535);
  if (!status.ok()) return status;
  if (parent.find('/') != std::string_view::npos) {
    return bad(field, "must be a single topic level, without '/' (" + quoted(parent) + ")");
  }
  if (parent.find_first_of("+#") != std::string_view::npos) {
    return bad(field, "must not contain wildcards '+' or '#' (" + quoted(parent) + ")");
  }
  if (parent.front() == '$') {
    return bad(field, "must not start with '$' (reserved for broker topics) (" + quoted(parent) + ")");
  }
  return Status::success();
}

std::string Topics::uplink(std::string_view sub) const {
  std::string topic;
  topic.reserve(uplink_parent.size() + 1 + sub.size());
  topic.append(uplink_parent).append("/").append(sub);
  return topic;
}

Topics make_topics(std::string_view uplink_parent, std::string_view downlink_parent,
                   std::string_view client_id) {
  Topics topics;
  topics.p2p = p2p_topic(downlink_parent, client_id);
  topics.status = std::string(uplink_parent) + "/status";
  topics.uplink_parent = std::string(uplink_parent);
  topics.downlink_parent = std::string(downlink_parent);
  return topics;
}

std::string p2p_topic(std::string_view downlink_parent, std::string_view client_id) {
  std::string topic;
  topic.reserve(downlink_parent.size() + 5 + client_id.size());
  topic.append(downlink_parent).append("/p2p/").append(client_id);
  return topic;
}

}  // namespace callsignal
