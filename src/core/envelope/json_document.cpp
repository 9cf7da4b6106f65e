#include "core/envelope/json_document.h"

#include "core/envelope/json_guard.h"

namespace callsignal::envelope_detail {

EnvelopeStatus parse_document(JsonStorage& storage, const char* root, const CodecLimits& limits,
                              const TextScan* known) {
  EnvelopeStatus status;
  // Populate hands the document to the generator as the SAX handler, then moves the one root value
  // off the document's stack (or clears the stack when the generator fails).
  auto generator = [&](rapidjson::Document& handler) {
    status = parse_json(storage.text.data() + storage.offset, storage.size, handler, root, limits.max_depth,
                        limits.max_string_bytes, known);
    return status.ok();
  };
  storage.doc.Populate(generator);
  return status;
}

namespace {

// Forwards SAX events to a document, asking it to copy every string.
class CopyingHandler {
 public:
  explicit CopyingHandler(rapidjson::Document& doc) : doc_(doc) {}
  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(std::int64_t i) { return doc_.Int64(i); }
  bool Uint64(std::uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return doc_.RawNumber(s, n, true); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return doc_.String(s, n, true); }
  bool Key(const char* s, rapidjson::SizeType n, bool) { return doc_.Key(s, n, true); }
  bool StartObject() { return doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) { return doc_.EndObject(n); }
  bool StartArray() { return doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return doc_.EndArray(n); }

 private:
  rapidjson::Document& doc_;
};

}  // namespace

rapidjson::Value deep_copy(const rapidjson::Value& from, rapidjson::MemoryPoolAllocator<>& allocator) {
  // A document over the caller's allocator builds the copy there; its own stack is freed on return.
  rapidjson::Document builder(&allocator);
  auto generator = [&](rapidjson::Document& handler) {
    CopyingHandler copying(handler);
    return from.Accept(copying);
  };
  builder.Populate(generator);
  rapidjson::Value out;
  out = static_cast<rapidjson::Value&>(builder);  // moves the root value (allocated from `allocator`) out of the builder
  return out;
}

}  // namespace callsignal::envelope_detail
