#include "core/envelope/schema.h"

#include <array>
#include <cstring>
#include <string>

#include "core/common/utf8.h"
#include "core/envelope/message_id.h"

namespace callsignal {

bool is_valid_identifier(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxIdentifierBytes) return false;
  // Eight bytes at a time (identifiers are short and almost always ASCII): any byte below 0x20,
  // equal to 0x7F, or non-ASCII. The rare non-ASCII identifier goes through the full UTF-8 check.
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  std::uint64_t control = 0;
  std::uint64_t high = 0;
  std::size_t i = 0;
  auto check_word = [&](std::size_t at) {
    std::uint64_t w;
    std::memcpy(&w, id.data() + at, sizeof w);
    const std::uint64_t del = w ^ (kOnes * 0x7F);
    // Bytes below 0x20 (exact for ASCII bytes; a non-ASCII word is re-checked below) and 0x7F.
    control |= ((w - kOnes * 0x20) & ~w & kHigh) | ((del - kOnes) & ~del & kHigh);
    high |= w & kHigh;
  };
  for (; i + 8 <= id.size(); i += 8) check_word(i);
  if (i > 0 && i < id.size()) {
    // The last bytes as one word ending where the id ends (it overlaps bytes checked already).
    check_word(id.size() - 8);
    i = id.size();
  }
  for (; i < id.size(); ++i) {
    const auto b = static_cast<unsigned char>(id[i]);
    control |= static_cast<std::uint64_t>(b < 0x20) | static_cast<std::uint64_t>(b == 0x7F);
    high |= b & 0x80u;
  }
  if (high != 0) {
    // Slow path: the SWAR test above can flag bytes after a non-ASCII byte falsely.
    for (char c : id) {
      const auto b = static_cast<unsigned char>(c);
      if (b < 0x20 || b == 0x7F) return false;
    }
    return is_valid_utf8(id);
  }
  return control == 0;
}

namespace {

enum class Kind {
  text,             // string, min..max bytes
  identifier,       // is_valid_identifier
  message_id,       // is_valid_message_id
  choice,           // one of `choices`
  integer,          // int64, min..max
  boolean,
  identifier_list,  // array of identifiers, min..max entries
  message_id_list,  // array of message ids, min..max entries
  string_map,       // object of string values, at most max entries, keys 1..64 bytes
  object,           // any object (app data)
};

struct Choices {
  const std::string_view* values;
  std::size_t count;
};

struct FieldRule {
  std::string_view name;
  Kind kind;
  bool required;
  std::int64_t min = 0;
  std::int64_t max = 0;
  Choices choices = {nullptr, 0};
};

struct Schema {
  const FieldRule* rules;
  std::size_t count;
};

constexpr std::string_view kMedia[] = {"audio", "video"};
constexpr std::string_view kRole[] = {"caller", "callee"};
constexpr std::string_view kParticipantState[] = {"invited", "ringing", "joined", "rejected",
                                                  "busy",    "no_answer", "left"};
constexpr std::string_view kPresence[] = {"online", "offline"};

constexpr Choices kMediaChoices{kMedia, std::size(kMedia)};
constexpr Choices kRoleChoices{kRole, std::size(kRole)};
constexpr Choices kParticipantStateChoices{kParticipantState, std::size(kParticipantState)};
constexpr Choices kPresenceChoices{kPresence, std::size(kPresence)};

constexpr auto kList = static_cast<std::int64_t>(kMaxListEntries);

constexpr FieldRule kHello[] = {
    {"user", Kind::identifier, false},
    {"sdk", Kind::text, false, 1, 64},
    {"platform", Kind::text, false, 1, 32},
};
constexpr FieldRule kHelloAck[] = {
    {"hello_id", Kind::message_id, true},
    {"hello_ts", Kind::integer, true, 0, kMaxTimestampMs},
    {"received_ts", Kind::integer, false, 0, kMaxTimestampMs},
};
constexpr FieldRule kCallRequest[] = {
    {"callees", Kind::identifier_list, true, 1, kList},
    {"media", Kind::choice, true, 0, 0, kMediaChoices},
    {"custom", Kind::object, false},
};
constexpr FieldRule kInvite[] = {
    {"role", Kind::choice, true, 0, 0, kRoleChoices},
    {"caller", Kind::identifier, true},
    {"callees", Kind::identifier_list, true, 1, kList},
    {"members", Kind::identifier_list, false, 0, kList},
    {"media", Kind::choice, true, 0, 0, kMediaChoices},
    {"rtc", Kind::string_map, true, 0, kList},
    {"vendor", Kind::text, false, 1, 32},
    {"custom", Kind::object, false},
    {"request_id", Kind::message_id, false},
};
constexpr FieldRule kRinging[] = {
    {"invite_id", Kind::message_id, true},
};
constexpr FieldRule kAccept[] = {
    {"invite_id", Kind::message_id, false},
};
constexpr FieldRule kReject[] = {
    {"reason", Kind::text, true, 1, 64},
    {"invite_id", Kind::message_id, false},
};
constexpr FieldRule kBusy[] = {
    {"invite_id", Kind::message_id, false},
};
constexpr FieldRule kCancelOrHangup[] = {
    {"by", Kind::identifier, false},
};
constexpr FieldRule kCallEnded[] = {
    {"reason", Kind::text, true, 1, 64},
    {"duration_ms", Kind::integer, false, 0, kMaxTimestampMs},
};
constexpr FieldRule kParticipantUpdate[] = {
    {"participant", Kind::identifier, true},
    {"state", Kind::choice, true, 0, 0, kParticipantStateChoices},
};
constexpr FieldRule kInviteMore[] = {
    {"callees", Kind::identifier_list, true, 1, kList},
};
constexpr FieldRule kMuteRequest[] = {
    {"target", Kind::identifier, true},
    {"audio", Kind::boolean, false},
    {"video", Kind::boolean, false},
    {"by", Kind::identifier, false},
};
constexpr FieldRule kKick[] = {
    {"target", Kind::identifier, true},
};
constexpr FieldRule kKeepalive[] = {
    {"interval_ms", Kind::integer, false, 1000, 600000},
};
constexpr FieldRule kTokenRenewal[] = {
    {"rtc", Kind::string_map, true, 0, kList},
};
constexpr FieldRule kStatus[] = {
    {"state", Kind::choice, true, 0, 0, kPresenceChoices},
    {"user", Kind::identifier, false},
};
constexpr FieldRule kAck[] = {
    {"ids", Kind::message_id_list, true, 1, kList},
};
constexpr FieldRule kError[] = {
    {"code", Kind::text, true, 1, 64},
    {"message", Kind::text, false, 0, 1024},
    {"reply_to", Kind::message_id, true},
};

template <std::size_t N>
constexpr Schema schema_of(const FieldRule (&rules)[N]) {
  return {rules, N};
}
constexpr Schema kNoFields{nullptr, 0};

// Indexed by MessageType.
constexpr std::array<Schema, kMessageTypeCount> kSchemas{{
    schema_of(kHello),               // hello
    schema_of(kHelloAck),            // hello_ack
    schema_of(kCallRequest),         // call_request
    schema_of(kInvite),              // invite
    schema_of(kRinging),             // ringing
    schema_of(kAccept),              // accept
    schema_of(kReject),              // reject
    schema_of(kBusy),                // busy
    schema_of(kCancelOrHangup),      // cancel
    schema_of(kCancelOrHangup),      // hangup
    schema_of(kCallEnded),           // call_ended
    schema_of(kParticipantUpdate),   // participant_update
    schema_of(kInviteMore),          // invite_more
    schema_of(kMuteRequest),         // mute_request
    schema_of(kKick),                // kick
    kNoFields,                       // end_for_all
    schema_of(kKeepalive),           // keepalive
    kNoFields,                       // token_renewal_request
    schema_of(kTokenRenewal),        // token_renewal
    schema_of(kStatus),              // status
    schema_of(kError),               // error
    kNoFields,                       // drain
    schema_of(kAck),                 // ack
}};

// The most fields any schema has: sized for the per-call lookup table in validate_body.
constexpr std::size_t kMaxRules = 16;

constexpr bool rules_fit() {
  for (const Schema& schema : kSchemas) {
    if (schema.count > kMaxRules) return false;
  }
  return true;
}
static_assert(rules_fit(), "a schema has more fields than validate_body's table holds");

std::string_view view(const rapidjson::Value& s) noexcept { return {s.GetString(), s.GetStringLength()}; }

// Where a problem is: "msg.body.<field>", "msg.body.<field>[<index>]" or "msg.body.<field>.<key>".
// Kept as views and turned into text only for an error: checks that pass allocate nothing.
struct Where {
  std::string_view field;
  long index = -1;
  std::string_view key = {};
  bool has_key = false;

  Where item(long i) const { return Where{field, i, {}, false}; }
  Where entry(std::string_view k) const { return Where{field, -1, k, true}; }

  std::string str() const {
    std::string out = "msg.body." + std::string(field);
    if (index >= 0) out += "[" + std::to_string(index) + "]";
    if (has_key) out += "." + std::string(key);
    return out;
  }
};

EnvelopeStatus error(EnvelopeError code, const Where& where, const std::string& what) {
  return EnvelopeStatus::error(code, where.str() + ": " + what);
}

std::string range(std::int64_t min, std::int64_t max) { return std::to_string(min) + ".." + std::to_string(max); }

EnvelopeStatus check_identifier(const rapidjson::Value& v, const Where& where) {
  if (!v.IsString()) return error(EnvelopeError::wrong_type, where, "must be a string");
  if (!is_valid_identifier(view(v))) {
    return error(EnvelopeError::bad_value, where, "must be 1..64 bytes without control characters");
  }
  return EnvelopeStatus::success();
}

EnvelopeStatus check_message_id(const rapidjson::Value& v, const Where& where) {
  if (!v.IsString()) return error(EnvelopeError::wrong_type, where, "must be a string");
  if (!is_valid_message_id(view(v))) {
    return error(EnvelopeError::bad_value, where, "must be 32 lowercase hex characters");
  }
  return EnvelopeStatus::success();
}

EnvelopeStatus check_string_map(const rapidjson::Value& v, const FieldRule& rule, const Where& where) {
  if (!v.IsObject()) return error(EnvelopeError::wrong_type, where, "must be an object of strings");
  if (static_cast<std::int64_t>(v.MemberCount()) > rule.max) {
    return error(EnvelopeError::bad_value, where, "must hold at most " + std::to_string(rule.max) + " entries");
  }
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    const std::string_view key = view(it->name);
    if (!is_valid_identifier(key)) {
      return error(EnvelopeError::bad_value, where.entry(key), "keys must be 1..64 bytes without control characters");
    }
    if (!it->value.IsString()) return error(EnvelopeError::wrong_type, where.entry(key), "must be a string");
    // The app gets a map: a key given twice would be ambiguous. Maps are small (<= 32 entries).
    for (auto other = v.MemberBegin(); other != it; ++other) {
      if (view(other->name) == key) return error(EnvelopeError::malformed_json, where.entry(key), "given twice");
    }
  }
  return EnvelopeStatus::success();
}

EnvelopeStatus check_field(const rapidjson::Value& v, const FieldRule& rule) {
  const Where where{rule.name};
  switch (rule.kind) {
    case Kind::text: {
      if (!v.IsString()) return error(EnvelopeError::wrong_type, where, "must be a string");
      const auto n = static_cast<std::int64_t>(v.GetStringLength());
      if (n < rule.min || n > rule.max) {
        return error(EnvelopeError::bad_value, where, "must be " + range(rule.min, rule.max) + " bytes");
      }
      return EnvelopeStatus::success();
    }
    case Kind::identifier:
      return check_identifier(v, where);
    case Kind::message_id:
      return check_message_id(v, where);
    case Kind::choice: {
      if (!v.IsString()) return error(EnvelopeError::wrong_type, where, "must be a string");
      for (std::size_t i = 0; i < rule.choices.count; ++i) {
        if (view(v) == rule.choices.values[i]) return EnvelopeStatus::success();
      }
      std::string allowed;
      for (std::size_t i = 0; i < rule.choices.count; ++i) {
        if (i > 0) allowed += '|';
        allowed += rule.choices.values[i];
      }
      return error(EnvelopeError::bad_value, where, "must be one of " + allowed);
    }
    case Kind::integer:
      if (!v.IsInt64()) return error(EnvelopeError::wrong_type, where, "must be an integer");
      if (v.GetInt64() < rule.min || v.GetInt64() > rule.max) {
        return error(EnvelopeError::bad_value, where, "must be " + range(rule.min, rule.max));
      }
      return EnvelopeStatus::success();
    case Kind::boolean:
      if (!v.IsBool()) return error(EnvelopeError::wrong_type, where, "must be true or false");
      return EnvelopeStatus::success();
    case Kind::identifier_list:
    case Kind::message_id_list: {
      if (!v.IsArray()) return error(EnvelopeError::wrong_type, where, "must be an array of strings");
      const auto n = static_cast<std::int64_t>(v.Size());
      if (n < rule.min || n > rule.max) {
        return error(EnvelopeError::bad_value, where, "must hold " + range(rule.min, rule.max) + " entries");
      }
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
        const Where item_where = where.item(static_cast<long>(i));
        EnvelopeStatus item = rule.kind == Kind::identifier_list ? check_identifier(v[i], item_where)
                                                                 : check_message_id(v[i], item_where);
        if (!item.ok()) return item;
      }
      return EnvelopeStatus::success();
    }
    case Kind::string_map:
      return check_string_map(v, rule, where);
    case Kind::object:
      if (!v.IsObject()) return error(EnvelopeError::wrong_type, where, "must be an object");
      return EnvelopeStatus::success();
  }
  return error(EnvelopeError::internal, where, "unknown field kind");
}

}  // namespace

EnvelopeStatus validate_body(MessageType type, const rapidjson::Value& body) {
  const auto index = static_cast<std::size_t>(type);
  if (index >= kSchemas.size()) return EnvelopeStatus::error(EnvelopeError::unknown_type, "msg.type: unknown");
  if (!body.IsObject()) return EnvelopeStatus::error(EnvelopeError::wrong_type, "msg.body: must be an object");
  const Schema& schema = kSchemas[index];
  // One pass over the members finds each rule's value and any rule field given twice.
  std::array<const rapidjson::Value*, kMaxRules> found{};
  for (auto it = body.MemberBegin(); it != body.MemberEnd(); ++it) {
    const std::string_view key = view(it->name);
    for (std::size_t r = 0; r < schema.count; ++r) {
      if (schema.rules[r].name != key) continue;
      if (found[r] != nullptr) return error(EnvelopeError::malformed_json, Where{key}, "given twice");
      found[r] = &it->value;
      break;
    }
  }
  for (std::size_t r = 0; r < schema.count; ++r) {
    const FieldRule& rule = schema.rules[r];
    if (found[r] == nullptr) {
      if (rule.required) return error(EnvelopeError::missing_field, Where{rule.name}, "missing");
      continue;
    }
    EnvelopeStatus status = check_field(*found[r], rule);
    if (!status.ok()) return status;
  }
  return EnvelopeStatus::success();
}

}  // namespace callsignal
