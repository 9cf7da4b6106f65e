#include "core/envelope/body.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/envelope/json_document.h"

namespace callsignal {

using envelope_detail::JsonStorage;

namespace {

constexpr std::size_t kBuilderChunk = 1024;

rapidjson::SizeType size_of(std::string_view s) noexcept { return static_cast<rapidjson::SizeType>(s.size()); }

std::string path_of(std::string_view field) { return "msg.body." + std::string(field); }

EnvelopeStatus missing(std::string_view field) {
  return EnvelopeStatus::error(EnvelopeError::missing_field, path_of(field) + ": missing");
}

EnvelopeStatus wrong_type(const std::string& path, const char* expected) {
  return EnvelopeStatus::error(EnvelopeError::wrong_type, path + ": must be " + expected);
}

const rapidjson::Value& empty_object() noexcept {
  static const rapidjson::Value kEmpty(rapidjson::kObjectType);
  return kEmpty;
}

std::string compact(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

Body::Body() : storage_(std::make_unique<JsonStorage>(std::string(), kBuilderChunk)), root_(&storage_->doc) {}

Body::Body(const Body& other) : Body() {
  // Not RapidJSON's CopyFrom: parsed bodies hold in-situ strings, which CopyFrom would share.
  static_cast<rapidjson::Value&>(storage_->doc) = envelope_detail::deep_copy(other.json(), storage_->pool);
}

Body& Body::operator=(const Body& other) {
  if (this != &other) *this = Body(other);
  return *this;
}

Body::Body(Body&& other) noexcept : storage_(std::move(other.storage_)), root_(other.root_) {
  other.root_ = nullptr;
}

Body& Body::operator=(Body&& other) noexcept {
  if (this != &other) {
    storage_ = std::move(other.storage_);
    root_ = other.root_;
    other.root_ = nullptr;
  }
  return *this;
}

Body::~Body() = default;

EnvelopeResult<Body> Body::parse(std::string_view json_object, const CodecLimits& limits) {
  if (json_object.size() > limits.max_bytes) {
    return EnvelopeStatus::error(EnvelopeError::too_large, "body: above the limit of " +
                                                               std::to_string(limits.max_bytes) + " bytes");
  }
  const std::size_t chunk = envelope_detail::chunk_for(json_object.size());
  auto storage = std::make_unique<JsonStorage>(std::string(json_object), chunk);
  EnvelopeStatus status = envelope_detail::parse_document(*storage, "body", limits, nullptr);
  if (!status.ok()) return status;
  if (!storage->doc.IsObject()) return wrong_type("body", "a JSON object");
  rapidjson::Value* root = &storage->doc;
  return adopt(std::move(storage), root);
}

Body::Body(std::unique_ptr<JsonStorage> storage, rapidjson::Value* root) noexcept
    : storage_(std::move(storage)), root_(root) {}

Body Body::adopt(std::unique_ptr<JsonStorage> storage, rapidjson::Value* object) noexcept {
  return Body(std::move(storage), object);
}

const rapidjson::Value& Body::json() const noexcept { return root_ != nullptr ? *root_ : empty_object(); }

const rapidjson::Value* Body::find(std::string_view field) const noexcept {
  const rapidjson::Value& root = json();
  if (!root.IsObject()) return nullptr;
  // Linear, like RapidJSON's FindMember, but without building a Value for the name.
  for (auto it = root.MemberBegin(); it != root.MemberEnd(); ++it) {
    if (std::string_view(it->name.GetString(), it->name.GetStringLength()) == field) return &it->value;
  }
  return nullptr;
}

bool Body::has(std::string_view field) const noexcept { return find(field) != nullptr; }

bool Body::empty() const noexcept {
  const rapidjson::Value& root = json();
  return !root.IsObject() || root.MemberCount() == 0;
}

EnvelopeResult<std::string_view> Body::get_string(std::string_view field) const {
  const rapidjson::Value* v = find(field);
  if (v == nullptr) return missing(field);
  if (!v->IsString()) return wrong_type(path_of(field), "a string");
  return std::string_view(v->GetString(), v->GetStringLength());
}

EnvelopeResult<std::int64_t> Body::get_int(std::string_view field) const {
  const rapidjson::Value* v = find(field);
  if (v == nullptr) return missing(field);
  if (!v->IsInt64()) return wrong_type(path_of(field), "an integer");
  return v->GetInt64();
}

EnvelopeResult<bool> Body::get_bool(std::string_view field) const {
  const rapidjson::Value* v = find(field);
  if (v == nullptr) return missing(field);
  if (!v->IsBool()) return wrong_type(path_of(field), "true or false");
  return v->GetBool();
}

EnvelopeResult<std::vector<std::string>> Body::get_string_list(std::string_view field) const {
  const rapidjson::Value* v = find(field);
  if (v == nullptr) return missing(field);
  if (!v->IsArray()) return wrong_type(path_of(field), "an array of strings");
  std::vector<std::string> out;
  out.reserve(v->Size());
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const rapidjson::Value& item = (*v)[i];
    if (!item.IsString()) return wrong_type(path_of(field) + "[" + std::to_string(i) + "]", "a string");
    out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return out;
}

EnvelopeResult<std::map<std::string, std::string>> Body::get_string_map(std::string_view field) const {
  const rapidjson::Value* v = find(field);
  if (v == nullptr) return missing(field);
  if (!v->IsObject()) return wrong_type(path_of(field), "an object of strings");
  std::map<std::string, std::string> out;
  for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) {
    std::string key(it->name.GetString(), it->name.GetStringLength());
    if (!it->value.IsString()) return wrong_type(path_of(field) + "." + key, "a string");
    out[std::move(key)] = std::string(it->value.GetString(), it->value.GetStringLength());
  }
  return out;
}

EnvelopeResult<std::string> Body::get_json(std::string_view field) const {
  const rapidjson::Value* v = find(field);
  if (v == nullptr) return missing(field);
  return compact(*v);
}

std::string Body::to_json() const { return compact(json()); }

rapidjson::Value& Body::mutable_root() {
  if (root_ == nullptr) {
    storage_ = std::make_unique<JsonStorage>(std::string(), kBuilderChunk);
    root_ = &storage_->doc;
  }
  return *root_;
}

rapidjson::MemoryPoolAllocator<>& Body::allocator() {
  mutable_root();
  return storage_->doc.GetAllocator();
}

Body& Body::set_value(std::string_view field, rapidjson::Value& value) {
  rapidjson::Value& root = mutable_root();
  for (auto it = root.MemberBegin(); it != root.MemberEnd(); ++it) {
    if (std::string_view(it->name.GetString(), it->name.GetStringLength()) == field) {
      it->value = value;  // moves
      return *this;
    }
  }
  rapidjson::Value name(field.data(), size_of(field), allocator());
  root.AddMember(name, value, allocator());
  return *this;
}

Body& Body::set_string(std::string_view field, std::string_view value) {
  rapidjson::Value v(value.data(), size_of(value), allocator());
  return set_value(field, v);
}

Body& Body::set_int(std::string_view field, std::int64_t value) {
  rapidjson::Value v(value);
  return set_value(field, v);
}

Body& Body::set_bool(std::string_view field, bool value) {
  rapidjson::Value v(value);
  return set_value(field, v);
}

Body& Body::set_string_list(std::string_view field, const std::vector<std::string>& values) {
  rapidjson::Value array(rapidjson::kArrayType);
  array.Reserve(static_cast<rapidjson::SizeType>(values.size()), allocator());
  for (const std::string& s : values) {
    array.PushBack(rapidjson::Value(s.data(), size_of(s), allocator()), allocator());
  }
  return set_value(field, array);
}

Body& Body::set_string_map(std::string_view field, const std::map<std::string, std::string>& values) {
  rapidjson::Value object(rapidjson::kObjectType);
  for (const auto& [key, value] : values) {
    object.AddMember(rapidjson::Value(key.data(), size_of(key), allocator()),
                     rapidjson::Value(value.data(), size_of(value), allocator()), allocator());
  }
  return set_value(field, object);
}

EnvelopeStatus Body::set_json(std::string_view field, std::string_view json_text, const CodecLimits& limits) {
  if (json_text.size() > limits.max_bytes) {
    return EnvelopeStatus::error(EnvelopeError::too_large, path_of(field) + ": above the limit of " +
                                                               std::to_string(limits.max_bytes) + " bytes");
  }
  // Parsed on its own document first, so a failure leaves the body unchanged.
  JsonStorage parsed(std::string(json_text), envelope_detail::chunk_for(json_text.size()));
  const std::string root = path_of(field);
  EnvelopeStatus status = envelope_detail::parse_document(parsed, root.c_str(), limits, nullptr);
  if (!status.ok()) return status;
  rapidjson::Value copy = envelope_detail::deep_copy(parsed.doc, allocator());
  set_value(field, copy);
  return EnvelopeStatus::success();
}

bool Body::remove(std::string_view field) noexcept {
  if (root_ == nullptr || !root_->IsObject()) return false;
  for (auto it = root_->MemberBegin(); it != root_->MemberEnd(); ++it) {
    if (std::string_view(it->name.GetString(), it->name.GetStringLength()) == field) {
      root_->EraseMember(it);
      return true;
    }
  }
  return false;
}

namespace {

// Members compared in order: RapidJSON's own == looks members up by name, which is asymmetric
// when an (unknown, nested) object gives a key twice: such a body would not equal itself.
// Recursion is bounded by the nesting limit the values were parsed or built under.
bool same_json(const rapidjson::Value& a, const rapidjson::Value& b) noexcept {
  if (a.IsObject()) {
    if (!b.IsObject() || a.MemberCount() != b.MemberCount()) return false;
    for (auto x = a.MemberBegin(), y = b.MemberBegin(); x != a.MemberEnd(); ++x, ++y) {
      if (x->name != y->name || !same_json(x->value, y->value)) return false;
    }
    return true;
  }
  if (a.IsArray()) {
    if (!b.IsArray() || a.Size() != b.Size()) return false;
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      if (!same_json(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

bool operator==(const Body& a, const Body& b) noexcept { return same_json(a.json(), b.json()); }

}  // namespace callsignal
