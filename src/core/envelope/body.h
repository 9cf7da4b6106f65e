// The type-specific part of a message ("body"): a JSON object with typed access.
//
// Reads report a missing or mistyped field as an EnvelopeStatus naming it ("msg.body.rtc: missing",
// "msg.body.callees[1]: must be a string"). decode() has already checked a received body against
// its type's schema (docs/protocol.md), so reads of the fields the schema requires succeed there;
// the checks here matter for optional fields and for bodies built by hand.
//
// A Body owns its JSON (a RapidJSON document and the pool it lives in). string_views and the
// Value returned by reads point into it: valid until the Body is modified, assigned or destroyed.
// Copying deep-copies. A moved-from Body reads as an empty object.
// Not thread-safe: one Body per thread, or const reads only.
// Reads never throw except std::bad_alloc from the returned containers; writes may throw
// std::bad_alloc like any std container. The codec's entry points catch it (EnvelopeError::internal).
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/envelope/codec_limits.h"
#include "core/envelope/envelope_error.h"

namespace callsignal {

namespace envelope_detail {
struct JsonStorage;
}

class Body {
 public:
  Body();  // {}
  Body(const Body& other);
  Body& operator=(const Body& other);
  Body(Body&& other) noexcept;
  Body& operator=(Body&& other) noexcept;
  ~Body();

  // Parses a JSON object (e.g. custom data from the app) under `limits`. Errors: those of the
  // parser (malformed_json, invalid_utf8, too_deep, too_large, bad_value) and wrong_type when the
  // text is not an object.
  static EnvelopeResult<Body> parse(std::string_view json_object, const CodecLimits& limits = {});

  // For the codec: a Body viewing `object` (an object inside storage->doc), owning the storage.
  static Body adopt(std::unique_ptr<envelope_detail::JsonStorage> storage, rapidjson::Value* object) noexcept;

  bool has(std::string_view field) const noexcept;
  bool empty() const noexcept;

  // missing_field when absent; wrong_type when not of the type asked for.
  EnvelopeResult<std::string_view> get_string(std::string_view field) const;
  EnvelopeResult<std::int64_t> get_int(std::string_view field) const;  // a JSON integer in int64 range
  EnvelopeResult<bool> get_bool(std::string_view field) const;
  EnvelopeResult<std::vector<std::string>> get_string_list(std::string_view field) const;  // array of strings
  EnvelopeResult<std::map<std::string, std::string>> get_string_map(std::string_view field) const;  // string->string
  // Any field's value as compact JSON text (custom data, handed to the app as is).
  EnvelopeResult<std::string> get_json(std::string_view field) const;

  // Setters replace a field of the same name. They do not check the type's schema: encode_message()
  // does, so a sender cannot emit what receivers refuse.
  Body& set_string(std::string_view field, std::string_view value);
  Body& set_int(std::string_view field, std::int64_t value);
  Body& set_bool(std::string_view field, bool value);
  Body& set_string_list(std::string_view field, const std::vector<std::string>& values);
  Body& set_string_map(std::string_view field, const std::map<std::string, std::string>& values);
  // Sets `field` to the JSON value in `json_text`, parsed under `limits` (errors as parse()).
  EnvelopeStatus set_json(std::string_view field, std::string_view json_text, const CodecLimits& limits = {});
  // Removes `field`; false when it was absent.
  bool remove(std::string_view field) noexcept;

  // The object itself, for reads this class does not offer. Never null (an empty object at worst).
  const rapidjson::Value& json() const noexcept;
  // Compact JSON text of the whole body.
  std::string to_json() const;

  // The same JSON: the same members in the same order, with equal values (numbers compare by
  // value). Decoding keeps the order of the text and encoding writes it, so a round trip compares
  // equal; two bodies built with the same fields in another order do not.
  friend bool operator==(const Body& a, const Body& b) noexcept;
  friend bool operator!=(const Body& a, const Body& b) noexcept { return !(a == b); }

 private:
  Body(std::unique_ptr<envelope_detail::JsonStorage> storage, rapidjson::Value* root) noexcept;
  const rapidjson::Value* find(std::string_view field) const noexcept;
  rapidjson::Value& mutable_root();
  Body& set_value(std::string_view field, rapidjson::Value& value);
  rapidjson::MemoryPoolAllocator<>& allocator();

  std::unique_ptr<envelope_detail::JsonStorage> storage_;
  rapidjson::Value* root_ = nullptr;  // inside storage_->doc; null only when moved from
};

}  // namespace callsignal
