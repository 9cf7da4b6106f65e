// Internal to src/core/envelope (not API): a RapidJSON document that owns both the JSON text its
// strings point into and the pool its values live in, and bounded parsing into it.
#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "core/envelope/codec_limits.h"
#include "core/envelope/envelope_error.h"
#include "core/envelope/text_check.h"

namespace callsignal::envelope_detail {

// Parsing is in situ: strings are unescaped in place inside `text` and the document's string
// values point into it (no copy per string). So `text` must live as long as `doc`, and copying a
// value out of `doc` must copy its strings (deep_copy below; RapidJSON's own CopyFrom would share
// them, since in-situ strings are flagged as constant).
//
// RapidJSON's default pool grabs 64 KiB chunks; a parsed message needs about its text size in
// values, so each storage sizes its chunks to what it will hold. Backlogs keep hundreds alive.
// RapidJSON allocates a CrtAllocator object (one malloc) for any pool or document stack not given
// one. CrtAllocator has no state, so one shared instance serves every storage on every thread.
inline rapidjson::CrtAllocator& shared_crt_allocator() noexcept {
  static rapidjson::CrtAllocator allocator;
  return allocator;
}

struct JsonStorage {
  // The JSON is text[offset, offset + size), followed by a '\0'. (decode() hands over the whole
  // frame buffer, in which the unescaped "msg" string sits NUL-terminated: no copy.)
  JsonStorage(std::string json_text, std::size_t chunk_bytes)
      : text(std::move(json_text)), size(text.size()), pool(chunk_bytes, &shared_crt_allocator()),
        doc(rapidjson::kObjectType, &pool, 1024, &shared_crt_allocator()) {}
  JsonStorage(std::string buffer, std::size_t json_offset, std::size_t json_size, std::size_t chunk_bytes)
      : text(std::move(buffer)),
        offset(json_offset),
        size(json_size),
        pool(chunk_bytes, &shared_crt_allocator()),
        doc(rapidjson::kObjectType, &pool, 1024, &shared_crt_allocator()) {}
  JsonStorage(const JsonStorage&) = delete;
  JsonStorage& operator=(const JsonStorage&) = delete;

  std::string text;  // parsed in place: after parsing, no longer the original JSON
  std::size_t offset = 0;
  std::size_t size = 0;
  rapidjson::MemoryPoolAllocator<> pool;
  rapidjson::Document doc;  // values allocated from `pool`, strings pointing into `text`
};

// Pool chunk size for parsing `text_bytes` of JSON.
inline std::size_t chunk_for(std::size_t text_bytes) noexcept { return text_bytes + text_bytes / 2 + 256; }

// Parses storage.text in place into storage.doc under `limits` (depth, string size; the caller
// checks the text size). `root` names the text in errors ("msg"). `known`: see parse_json in
// json_guard.h (null: scan and check the UTF-8 here). Errors: see parse_json. On error the
// document is unchanged and the text is garbage.
EnvelopeStatus parse_document(JsonStorage& storage, const char* root, const CodecLimits& limits,
                              const TextScan* known);

// A copy of `from` whose strings are all copied into `allocator`.
rapidjson::Value deep_copy(const rapidjson::Value& from, rapidjson::MemoryPoolAllocator<>& allocator);

}  // namespace callsignal::envelope_detail
