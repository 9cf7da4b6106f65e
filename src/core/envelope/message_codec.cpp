#include "core/envelope/message_codec.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <memory>
#include <new>

#include "core/common/utf8.h"
#include "core/envelope/json_document.h"
#include "core/envelope/message_id.h"
#include "core/envelope/schema.h"

namespace callsignal {

bool operator==(const Envelope& a, const Envelope& b) noexcept {
  return a.id == b.id && a.type == b.type && a.from == b.from && a.to == b.to && a.ts_ms == b.ts_ms &&
         a.ttl_ms == b.ttl_ms && a.call_id == b.call_id && a.body == b.body;
}

namespace {

using envelope_detail::JsonStorage;

enum Field : std::size_t { kId, kType, kFrom, kTo, kTs, kTtl, kCall, kBody, kFieldCount };
constexpr std::array<std::string_view, kFieldCount> kFieldNames{"id", "type", "from", "to", "ts", "ttl", "call", "body"};

std::string_view view(const rapidjson::Value& s) noexcept { return {s.GetString(), s.GetStringLength()}; }

EnvelopeStatus fail(EnvelopeError code, std::string_view field, const char* what) {
  return EnvelopeStatus::error(code, "msg." + std::string(field) + ": " + what);
}

// A required or optional string header field.
EnvelopeStatus read_string(const rapidjson::Value* v, Field field, bool required, std::string& out) {
  if (v == nullptr) {
    return required ? fail(EnvelopeError::missing_field, kFieldNames[field], "missing") : EnvelopeStatus::success();
  }
  if (!v->IsString()) return fail(EnvelopeError::wrong_type, kFieldNames[field], "must be a string");
  out.assign(v->GetString(), v->GetStringLength());
  return EnvelopeStatus::success();
}

EnvelopeStatus read_integer(const rapidjson::Value* v, Field field, std::int64_t min, std::int64_t max,
                            const char* range_text, std::int64_t& out) {
  if (v == nullptr) return fail(EnvelopeError::missing_field, kFieldNames[field], "missing");
  if (!v->IsInt64()) return fail(EnvelopeError::wrong_type, kFieldNames[field], "must be an integer");
  out = v->GetInt64();
  if (out < min || out > max) return fail(EnvelopeError::bad_value, kFieldNames[field], range_text);
  return EnvelopeStatus::success();
}

EnvelopeResult<Envelope> read_message(std::unique_ptr<JsonStorage> storage) {
  rapidjson::Document& doc = storage->doc;
  if (!doc.IsObject()) return EnvelopeStatus::error(EnvelopeError::wrong_type, "msg: must be a JSON object");

  std::array<const rapidjson::Value*, kFieldCount> found{};
  rapidjson::Value* body = nullptr;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    const std::string_view key = view(it->name);
    for (std::size_t f = 0; f < kFieldCount; ++f) {
      if (kFieldNames[f] != key) continue;
      // Two values for a signed field would let two readers see two different messages.
      if (found[f] != nullptr) return fail(EnvelopeError::malformed_json, key, "given twice");
      found[f] = &it->value;
      if (f == kBody) body = &it->value;
      break;
    }
  }

  Envelope message;
  std::string type_name;
  EnvelopeStatus s = read_string(found[kId], kId, true, message.id);
  if (s.ok() && !is_valid_message_id(message.id)) {
    s = fail(EnvelopeError::bad_value, "id", "must be 32 lowercase hex characters");
  }
  if (s.ok()) s = read_string(found[kType], kType, true, type_name);
  if (s.ok()) s = read_string(found[kFrom], kFrom, true, message.from);
  if (s.ok() && !is_valid_identifier(message.from)) {
    s = fail(EnvelopeError::bad_value, "from", "must be 1..64 bytes without control characters");
  }
  if (s.ok()) s = read_string(found[kTo], kTo, false, message.to);
  if (s.ok() && !message.to.empty() && !is_valid_identifier(message.to)) {
    s = fail(EnvelopeError::bad_value, "to", "must be 1..64 bytes without control characters");
  }
  if (s.ok()) {
    s = read_integer(found[kTs], kTs, 0, kMaxTimestampMs, "must be 0..2^53-1 ms since the Unix epoch", message.ts_ms);
  }
  if (s.ok()) s = read_integer(found[kTtl], kTtl, 1, kMaxTtlMs, "must be 1..3600000 ms", message.ttl_ms);
  if (s.ok()) s = read_string(found[kCall], kCall, false, message.call_id);
  if (s.ok() && !message.call_id.empty() && !is_valid_identifier(message.call_id)) {
    s = fail(EnvelopeError::bad_value, "call", "must be 1..64 bytes without control characters");
  }
  if (s.ok() && body != nullptr && !body->IsObject()) s = fail(EnvelopeError::wrong_type, "body", "must be an object");
  if (!s.ok()) return s;

  const std::optional<MessageType> type = parse_message_type(type_name);
  if (!type) {
    std::string shown = type_name.size() <= 64 ? type_name : type_name.substr(0, 64) + "...";
    return EnvelopeStatus::error(EnvelopeError::unknown_type,
                                 "msg.type: \"" + shown + "\" is not a message type of protocol v1");
  }
  message.type = *type;
  const Direction direction = message_direction(*type);
  if (message.to.empty() && (direction == Direction::downlink || direction == Direction::loopback)) {
    return EnvelopeStatus::error(EnvelopeError::missing_field,
                                 std::string("msg.to: required for ") + to_string(*type));
  }
  if (message.call_id.empty() && is_call_scoped(*type)) {
    return EnvelopeStatus::error(EnvelopeError::missing_field,
                                 std::string("msg.call: required for ") + to_string(*type));
  }

  if (body == nullptr) {
    // Adding a member may move the header values; they have all been copied out above.
    doc.AddMember("body", rapidjson::Value(rapidjson::kObjectType), doc.GetAllocator());
    body = &doc.MemberEnd()[-1].value;
  }
  s = validate_body(*type, *body);
  if (!s.ok()) return s;
  message.body = Body::adopt(std::move(storage), body);
  return message;
}

// Parses buffer[offset, offset + size), which is followed by a '\0'. `known`: see parse_json
// (null: scan and check the UTF-8 here).
EnvelopeResult<Envelope> parse(std::string buffer, std::size_t offset, std::size_t size, const CodecLimits& limits,
                               const envelope_detail::TextScan* known) {
  if (size > limits.max_bytes) {
    return EnvelopeStatus::error(EnvelopeError::too_large, "msg: " + std::to_string(size) +
                                                               " bytes, above the limit of " +
                                                               std::to_string(limits.max_bytes));
  }
  const std::size_t chunk = envelope_detail::chunk_for(size);
  auto storage = std::make_unique<JsonStorage>(std::move(buffer), offset, size, chunk);
  EnvelopeStatus parsed = envelope_detail::parse_document(*storage, "msg", limits, known);
  if (!parsed.ok()) return parsed;
  return read_message(std::move(storage));
}

EnvelopeStatus out_of_memory() { return EnvelopeStatus::error(EnvelopeError::internal, "out of memory"); }

}  // namespace

EnvelopeResult<Envelope> parse_message(std::string_view msg_text, const CodecLimits& limits) noexcept {
  try {
    return parse(std::string(msg_text), 0, msg_text.size(), limits, nullptr);
  } catch (const std::bad_alloc&) {
    return out_of_memory();
  }
}

namespace envelope_detail {
EnvelopeResult<Envelope> parse_checked_message(std::string buffer, std::size_t offset, std::size_t size,
                                               const CodecLimits& limits, bool unicode_escapes) noexcept {
  try {
    TextScan known;
    known.unicode_escapes = unicode_escapes;
    return parse(std::move(buffer), offset, size, limits, &known);
  } catch (const std::bad_alloc&) {
    return out_of_memory();
  }
}
}  // namespace envelope_detail

EnvelopeResult<std::string> encode_message(const Envelope& message, const CodecLimits& limits) noexcept {
  try {
    // Strings are written as given; invalid UTF-8 would make RapidJSON's writer emit invalid JSON.
    for (const std::string* s : {&message.id, &message.from, &message.to, &message.call_id}) {
      if (!is_valid_utf8(*s)) return EnvelopeStatus::error(EnvelopeError::invalid_utf8, "msg: a header field is not valid UTF-8");
    }
    rapidjson::StringBuffer buffer(nullptr, 512);
    rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::CrtAllocator,
                      rapidjson::kWriteValidateEncodingFlag>
        writer(buffer);
    auto string = [&](std::string_view s) { return writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
    writer.StartObject();
    writer.Key("id");
    string(message.id);
    writer.Key("type");
    string(to_string(message.type));
    writer.Key("from");
    string(message.from);
    if (!message.to.empty()) {
      writer.Key("to");
      string(message.to);
    }
    writer.Key("ts");
    writer.Int64(message.ts_ms);
    writer.Key("ttl");
    writer.Int64(message.ttl_ms);
    if (!message.call_id.empty()) {
      writer.Key("call");
      string(message.call_id);
    }
    writer.Key("body");
    if (!message.body.json().Accept(writer)) {
      return EnvelopeStatus::error(EnvelopeError::invalid_utf8, "msg.body: a string is not valid UTF-8");
    }
    writer.EndObject();
    std::string text(buffer.GetString(), buffer.GetSize());
    EnvelopeResult<Envelope> check = parse(text, 0, text.size(), limits, nullptr);  // a copy: parsing is in place
    if (!check.ok()) return check.status();
    return text;
  } catch (const std::bad_alloc&) {
    return out_of_memory();
  }
}

}  // namespace callsignal
