// Internal to src/core/envelope (not API): bounded JSON parsing on RapidJSON's SAX reader.
//
// parse_json() checks the text is UTF-8, runs RapidJSON's reader over it in place and forwards
// every event to an inner handler (a rapidjson::Document, or the frame's field capture) through a
// guard that:
//  - refuses nesting deeper than max_depth before the reader descends, so the reader's recursion
//    and the inner handler's stack stay bounded whatever the input (10,000 '[' stop at level 17);
//  - refuses strings/keys longer than max_string_bytes, strings holding U+0000, and \u escapes
//    that decode to a lone surrogate (RapidJSON 1.1.0 lets "\uDC00" through as ED B0 80);
//  - tracks the path of the current value ("msg.body.callees[2]") so errors can name it.
// RapidJSON is built without exceptions; std::bad_alloc from an error message is the only
// exception possible, and the codec's entry points catch it. Parsing is in situ, so apart from
// error messages only the inner handler allocates (a DOM: about the size of the text).
#pragma once

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/common/utf8.h"
#include "core/envelope/codec_limits.h"
#include "core/envelope/envelope_error.h"
#include "core/envelope/text_check.h"

namespace callsignal::envelope_detail {

// RapidJSON's GenericInsituStringStream<UTF8<>> plus the end of the text: [head_, end_) is the
// text and its terminating NUL, so the string scan below can read 16 bytes at a time without ever
// loading a byte past the allocation (RapidJSON's own SSE2 scan, RAPIDJSON_SSE2, reads aligned
// blocks that may run past it, which ASan reports).
struct BoundedInsituStream {
  using Ch = char;

  // text[size] must be '\0'.
  BoundedInsituStream(char* text, std::size_t size) noexcept : src_(text), head_(text), end_(text + size + 1) {}

  Ch Peek() const noexcept { return *src_; }
  Ch Take() noexcept { return *src_++; }
  std::size_t Tell() const noexcept { return static_cast<std::size_t>(src_ - head_); }

  Ch* PutBegin() noexcept { return dst_ = src_; }
  void Put(Ch c) noexcept { *dst_++ = c; }
  void Flush() noexcept {}
  std::size_t PutEnd(Ch* begin) noexcept { return static_cast<std::size_t>(dst_ - begin); }
  Ch* Push(std::size_t count) noexcept {
    Ch* begin = dst_;
    dst_ += count;
    return begin;
  }
  void Pop(std::size_t count) noexcept { dst_ -= count; }

  // Reads and copies (in place, src_ -> dst_) the bytes before the first '"', '\\' or byte < 0x20,
  // and leaves src_ at it. The NUL at end_ - 1 stops the scan, so it never reaches end_.
  void scan_copy_unescaped() noexcept {
    char* p = src_;
    char* q = dst_;
    const char* const end = end_;
#ifdef __SSE2__
    const __m128i dq = _mm_set1_epi8('"');
    const __m128i bs = _mm_set1_epi8('\\');
    const __m128i sp = _mm_set1_epi8(0x1F);
    if (p == q) {  // nothing unescaped yet in this string: only skip
      while (end - p >= 16) {
        const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i x = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(s, dq), _mm_cmpeq_epi8(s, bs)),
                                       _mm_cmpeq_epi8(_mm_min_epu8(s, sp), s));  // s <= 0x1F
        const unsigned r = static_cast<unsigned>(_mm_movemask_epi8(x));
        if (r != 0) {
          src_ = dst_ = p + __builtin_ctz(r);
          return;
        }
        p += 16;
      }
      while (!stops(*p)) ++p;
      src_ = dst_ = p;
      return;
    }
    while (end - p >= 16) {
      const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i x = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(s, dq), _mm_cmpeq_epi8(s, bs)),
                                     _mm_cmpeq_epi8(_mm_min_epu8(s, sp), s));
      const unsigned r = static_cast<unsigned>(_mm_movemask_epi8(x));
      if (r != 0) {
        const unsigned length = static_cast<unsigned>(__builtin_ctz(r));
        std::memmove(q, p, length);
        src_ = p + length;
        dst_ = q + length;
        return;
      }
      // q < p: the block is loaded before it is stored, and later loads start past this store.
      _mm_storeu_si128(reinterpret_cast<__m128i*>(q), s);
      p += 16;
      q += 16;
    }
#else
    (void)end;
#endif
    if (p == q) {
      while (!stops(*p)) ++p;
      src_ = dst_ = p;
      return;
    }
    while (!stops(*p)) *q++ = *p++;
    src_ = p;
    dst_ = q;
  }

  char* src_;
  char* dst_ = nullptr;
  char* head_;
  const char* end_;

 private:
  static bool stops(char c) noexcept {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  }
};

}  // namespace callsignal::envelope_detail

namespace rapidjson {

template <>
struct StreamTraits<callsignal::envelope_detail::BoundedInsituStream> {
  enum { copyOptimization = 1 };
};

// The reader's hook for copying a run of plain string bytes (a no-op in the generic version, SSE2
// overloads for RapidJSON's own streams under RAPIDJSON_SSE2), specialised for the stream above.
// parse_json() below only uses rapidjson::Reader, and this must be declared before its first use.
template <>
template <>
inline RAPIDJSON_FORCEINLINE void Reader::ScanCopyUnescapedString<callsignal::envelope_detail::BoundedInsituStream,
                                                                  callsignal::envelope_detail::BoundedInsituStream>(
    callsignal::envelope_detail::BoundedInsituStream& is, callsignal::envelope_detail::BoundedInsituStream& os) {
  RAPIDJSON_ASSERT(&is == &os);
  (void)os;
  is.scan_copy_unescaped();
}

}  // namespace rapidjson

namespace callsignal::envelope_detail {

// Where the parser is: the open containers and, in each, the current key or element index.
// Keys are kept as pointers: parsing is in situ, so each key stays where the reader unescaped it,
// inside the text, until the parse is over.
class JsonPath {
 public:
  explicit JsonPath(const char* root) noexcept : root_(root) {}

  std::size_t depth() const noexcept { return depth_; }

  // A value (scalar or container) starts inside the current container.
  void on_value() noexcept {
    if (depth_ > 0 && levels_[depth_ - 1].array) ++levels_[depth_ - 1].items;
  }

  void on_key(const char* key, std::size_t size) noexcept {
    if (depth_ == 0) return;
    levels_[depth_ - 1].key = key;
    levels_[depth_ - 1].key_size = size;
  }

  // The caller has checked the depth limit; kMaxDepthCap is the hard bound of the storage.
  bool push(bool array) noexcept {
    if (depth_ >= kMaxDepthCap) return false;
    levels_[depth_] = Level{array, 0, nullptr, 0};
    ++depth_;
    return true;
  }

  void pop() noexcept {
    if (depth_ > 0) --depth_;
  }

  // "msg.body.callees[2]": built only for error messages. Long keys are shortened.
  std::string str() const {
    std::string out = root_;
    for (std::size_t i = 0; i < depth_; ++i) {
      const Level& level = levels_[i];
      if (level.array) {
        if (level.items > 0) out += "[" + std::to_string(level.items - 1) + "]";
      } else if (level.key != nullptr) {
        out += '.';
        if (level.key_size <= kKeyPrefix) {
          out.append(level.key, level.key_size);
        } else {
          out.append(level.key, kKeyPrefix);
          out += "...";
        }
      }
    }
    return out;
  }

 private:
  static constexpr std::size_t kKeyPrefix = 48;

  struct Level {
    bool array;
    std::uint32_t items;  // elements started so far (arrays)
    const char* key;      // the current key (objects), inside the parsed text
    std::size_t key_size;
  };

  const char* root_;
  std::size_t depth_ = 0;
  std::array<Level, kMaxDepthCap> levels_;
};

// Forwards SAX events to `Inner`, enforcing the limits described at the top of this file.
template <typename Inner>
class GuardedHandler {
 public:
  using Ch = char;

  // `unicode_escapes`: whether the text may hold a "\u" escape (TextScan). Without one, and with
  // the text valid UTF-8 and free of NUL bytes, no unescaped string can hold U+0000 or a lone
  // surrogate, and those checks are skipped.
  GuardedHandler(Inner& inner, const char* root, std::size_t max_depth, std::size_t max_string_bytes,
                 bool unicode_escapes) noexcept
      : inner_(inner),
        path_(root),
        max_depth_(max_depth < kMaxDepthCap ? max_depth : kMaxDepthCap),
        max_string_bytes_(max_string_bytes),
        unicode_escapes_(unicode_escapes) {}

  bool failed() const noexcept { return !failure_.ok(); }
  EnvelopeStatus take_failure() noexcept { return std::move(failure_); }
  const JsonPath& path() const noexcept { return path_; }

  bool Null() { path_.on_value(); return inner_.Null(); }
  bool Bool(bool b) { path_.on_value(); return inner_.Bool(b); }
  bool Int(int i) { path_.on_value(); return inner_.Int(i); }
  bool Uint(unsigned u) { path_.on_value(); return inner_.Uint(u); }
  bool Int64(std::int64_t i) { path_.on_value(); return inner_.Int64(i); }
  bool Uint64(std::uint64_t u) { path_.on_value(); return inner_.Uint64(u); }
  bool Double(double d) { path_.on_value(); return inner_.Double(d); }
  bool RawNumber(const Ch* s, rapidjson::SizeType n, bool copy) {
    path_.on_value();
    return inner_.RawNumber(s, n, copy);
  }
  bool String(const Ch* s, rapidjson::SizeType n, bool copy) {
    path_.on_value();
    if (!check_string(s, n, "string")) return false;
    return inner_.String(s, n, copy);
  }
  bool Key(const Ch* s, rapidjson::SizeType n, bool copy) {
    if (!check_string(s, n, "key")) return false;
    path_.on_key(s, n);
    return inner_.Key(s, n, copy);
  }
  bool StartObject() { return enter(false) && inner_.StartObject(); }
  bool EndObject(rapidjson::SizeType members) {
    path_.pop();
    return inner_.EndObject(members);
  }
  bool StartArray() { return enter(true) && inner_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) {
    path_.pop();
    return inner_.EndArray(elements);
  }

 private:
  bool enter(bool array) {
    path_.on_value();
    if (path_.depth() >= max_depth_ || !path_.push(array)) {
      fail(EnvelopeError::too_deep, ": nesting deeper than " + std::to_string(max_depth_) + " levels");
      return false;
    }
    return true;
  }

  // The common case (within the limit, no \u escape in the text) inline; the rest out of line.
  bool check_string(const Ch* s, std::size_t n, const char* what) {
    if (RAPIDJSON_LIKELY(n <= max_string_bytes_ && (!unicode_escapes_ || n == 0))) return true;
    return check_string_slow(s, n, what);
  }

#if defined(__GNUC__)
  __attribute__((noinline, cold))
#endif
  bool check_string_slow(const Ch* s, std::size_t n, const char* what) {
    if (n > max_string_bytes_) {
      fail(EnvelopeError::too_large, std::string(": ") + what + " longer than " +
                                         std::to_string(max_string_bytes_) + " bytes");
      return false;
    }
    if (!unicode_escapes_ || n == 0) return true;
    if (std::memchr(s, 0, n) != nullptr) {
      fail(EnvelopeError::bad_value, std::string(": ") + what + " must not contain U+0000");
      return false;
    }
    // The input was valid UTF-8, so only a \u escape can make the unescaped bytes ill-formed, and
    // the only ill-formed thing an escape can produce is a lone surrogate (ED A0..BF ..).
    if (std::memchr(s, 0xED, n) != nullptr && !is_valid_utf8(std::string_view(s, n))) {
      fail(EnvelopeError::invalid_utf8, std::string(": ") + what + " holds a \\u escape of a lone surrogate");
      return false;
    }
    return true;
  }

  void fail(EnvelopeError code, const std::string& what) {
    if (failure_.ok()) failure_ = EnvelopeStatus::error(code, path_.str() + what);
  }

  Inner& inner_;
  JsonPath path_;
  std::size_t max_depth_;
  std::size_t max_string_bytes_;
  bool unicode_escapes_;
  EnvelopeStatus failure_;
};

// Parses text[0..size) in place as one JSON value (whitespace around it allowed, nothing else)
// into `inner`; text[size] must be '\0'. In situ: strings are unescaped inside `text`, each
// followed by a '\0', and handed to `inner` as pointers into it (copy == false), so `text` is
// garbage afterwards (but for those strings) and must outlive whatever keeps the pointers.
// `root` names the text in error messages ("frame", "msg"). `known`: the caller's scan_text() of
// this text, or of the frame it came from, whose UTF-8 the caller has already checked; null: this
// function scans and checks first.
// Errors: invalid_utf8, malformed_json (syntax, trailing bytes, a NUL byte), too_deep, too_large,
// bad_value (U+0000 in a string).
template <typename Inner>
EnvelopeStatus parse_json(char* text, std::size_t size, Inner& inner, const char* root, std::size_t max_depth,
                          std::size_t max_string_bytes, const TextScan* known) {
  TextScan scan;
  if (known != nullptr) {
    scan = *known;
  } else {
    scan = scan_text(std::string_view(text, size));
    if (scan.utf8_error != std::string_view::npos) {
      return EnvelopeStatus::error(EnvelopeError::invalid_utf8, std::string(root) + ": invalid UTF-8 at offset " +
                                                                    std::to_string(scan.utf8_error));
    }
  }
  // RapidJSON reads '\0' as the end of input: a NUL byte would hide whatever follows it. Without
  // one, the terminator at text[size] is where the reader stops.
  if (const void* nul = std::memchr(text, 0, size)) {
    const auto offset = static_cast<std::size_t>(static_cast<const char*>(nul) - text);
    return EnvelopeStatus::error(EnvelopeError::malformed_json,
                                 std::string(root) + ": NUL byte at offset " + std::to_string(offset));
  }
  GuardedHandler<Inner> guard(inner, root, max_depth, max_string_bytes, scan.unicode_escapes);
  BoundedInsituStream stream(text, size);
  // In situ, the reader's own stack is never used (it only buffers strings of copying parses).
  rapidjson::Reader reader(nullptr, 0);
  // No kParseValidateEncodingFlag: the whole text is valid UTF-8 by now (checked above or by the
  // caller), which covers every string, and the guard catches what escapes can add (lone
  // surrogates). The flag would repeat the check byte by byte at about a quarter of the parse time.
  const rapidjson::ParseResult result = reader.Parse<rapidjson::kParseInsituFlag>(stream, guard);
  if (!result.IsError()) return EnvelopeStatus::success();
  if (guard.failed()) return guard.take_failure();
  const rapidjson::ParseErrorCode code = result.Code();
  const std::string where = std::string(root) + ": ";
  const std::string at = " at offset " + std::to_string(result.Offset());
  if (code == rapidjson::kParseErrorStringUnicodeSurrogateInvalid) {
    return EnvelopeStatus::error(EnvelopeError::invalid_utf8, where + "\\u escape of an unpaired surrogate" + at);
  }
  return EnvelopeStatus::error(EnvelopeError::malformed_json, where + rapidjson::GetParseError_En(code) + at);
}

}  // namespace callsignal::envelope_detail
