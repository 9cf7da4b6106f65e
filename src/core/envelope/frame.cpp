#include "core/envelope/frame.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>
#include <limits>
#include <new>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/common/utf8.h"
#include "core/envelope/json_guard.h"
#include "core/envelope/text_check.h"

namespace callsignal {

bool is_valid_key_id(std::string_view kid) noexcept {
  if (kid.empty() || kid.size() > kMaxKeyIdLength) return false;
  for (char c : kid) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

namespace {

// A SAX handler that keeps the frame's four fields and skips everything else, so the frame never
// becomes a DOM. Type problems are recorded, not returned as false, so that a syntax error later in
// the payload still wins (a payload that is not JSON is malformed_json, whatever it starts with).
class FrameCapture {
 public:
  using Ch = char;
  explicit FrameCapture(envelope_detail::RawFrame& frame) : frame_(frame) {}
  enum class State { absent, present, wrong_type };

  bool Null() { return other(); }
  bool Bool(bool) { return other(); }
  bool Int(int i) { return integer(i); }
  bool Uint(unsigned u) { return integer(u); }
  bool Int64(std::int64_t i) { return integer(i); }
  bool Uint64(std::uint64_t u) {
    // Above INT64_MAX: not a version anyone speaks; keep it unsupported rather than wrapping.
    return integer(u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                       ? std::numeric_limits<std::int64_t>::max()
                       : static_cast<std::int64_t>(u));
  }
  bool Double(double) { return other(); }
  bool RawNumber(const Ch*, rapidjson::SizeType, bool) { return other(); }
  bool String(const Ch* s, rapidjson::SizeType n, bool) {
    if (depth_ == 0) root_is_object_ = false;
    if (depth_ != 1) return true;
    switch (pending_) {
      case Field::msg:
        msg_state_ = State::present;
        frame_.msg_offset = static_cast<std::size_t>(s - frame_.buffer.data());  // in situ: inside the buffer
        frame_.msg_size = n;
        break;
      case Field::kid: kid_state_ = State::present; frame_.kid.assign(s, n); break;
      case Field::sig: sig_state_ = State::present; frame_.sig.assign(s, n); break;
      case Field::v: v_state_ = State::wrong_type; break;
      case Field::none: break;
    }
    pending_ = Field::none;
    return true;
  }
  bool Key(const Ch* s, rapidjson::SizeType n, bool) {
    if (depth_ != 1) return true;
    const std::string_view key(s, n);
    pending_ = key == "v" ? Field::v : key == "msg" ? Field::msg : key == "kid" ? Field::kid
             : key == "sig" ? Field::sig : Field::none;
    if (pending_ != Field::none && state(pending_) != State::absent && duplicate_.empty()) duplicate_ = key;
    return true;
  }
  bool StartObject() {
    if (depth_ == 0) root_is_object_ = true;
    return open();
  }
  bool EndObject(rapidjson::SizeType) { --depth_; return true; }
  bool StartArray() {
    if (depth_ == 0) root_is_object_ = false;
    return open();
  }
  bool EndArray(rapidjson::SizeType) { --depth_; return true; }

  // After a successful parse: the fields, checked in the documented order.
  EnvelopeStatus finish() const {
    if (!root_is_object_) return fail(EnvelopeError::wrong_type, "frame: must be a JSON object");
    if (!duplicate_.empty()) return fail(EnvelopeError::malformed_json, "frame." + duplicate_ + ": given twice");
    if (v_state_ == State::absent) return fail(EnvelopeError::missing_field, "frame.v: missing");
    if (v_state_ == State::wrong_type) return fail(EnvelopeError::wrong_type, "frame.v: must be an integer");
    if (frame_.version != kProtocolMajor) {
      return fail(EnvelopeError::unsupported_version,
                  "frame.v: protocol major " + std::to_string(frame_.version) + " is not supported (this client speaks " +
                      std::to_string(kProtocolMajor) + ")");
    }
    if (msg_state_ == State::absent) return fail(EnvelopeError::missing_field, "frame.msg: missing");
    if (msg_state_ == State::wrong_type) return fail(EnvelopeError::wrong_type, "frame.msg: must be a string");
    if (kid_state_ == State::wrong_type) return fail(EnvelopeError::wrong_type, "frame.kid: must be a string");
    if (sig_state_ == State::wrong_type) return fail(EnvelopeError::wrong_type, "frame.sig: must be a string");
    if (kid_state_ == State::present && sig_state_ == State::absent) {
      return fail(EnvelopeError::missing_field, "frame.sig: missing (kid is present)");
    }
    if (sig_state_ == State::present && kid_state_ == State::absent) {
      return fail(EnvelopeError::missing_field, "frame.kid: missing (sig is present)");
    }
    if (kid_state_ == State::present && !is_valid_key_id(frame_.kid)) {
      return fail(EnvelopeError::bad_value, "frame.kid: must be 1..64 characters from [A-Za-z0-9._:-]");
    }
    if (sig_state_ == State::present && frame_.sig.empty()) {
      return fail(EnvelopeError::bad_value, "frame.sig: must not be empty");
    }
    return EnvelopeStatus::success();
  }

 private:
  enum class Field { none, v, msg, kid, sig };

  static EnvelopeStatus fail(EnvelopeError code, std::string message) {
    return EnvelopeStatus::error(code, std::move(message));
  }

  State& state(Field f) {
    switch (f) {
      case Field::v: return v_state_;
      case Field::msg: return msg_state_;
      case Field::kid: return kid_state_;
      case Field::sig: return sig_state_;
      case Field::none: break;
    }
    return ignored_state_;
  }

  bool integer(std::int64_t value) {
    if (depth_ == 0) root_is_object_ = false;
    if (depth_ != 1) return true;
    if (pending_ == Field::v) {
      v_state_ = State::present;
      frame_.version = value;
    } else if (pending_ != Field::none) {
      state(pending_) = State::wrong_type;
    }
    pending_ = Field::none;
    return true;
  }

  bool other() {
    if (depth_ == 0) root_is_object_ = false;
    if (depth_ == 1 && pending_ != Field::none) state(pending_) = State::wrong_type;
    pending_ = Field::none;
    return true;
  }

  bool open() {
    if (depth_ == 1 && pending_ != Field::none) state(pending_) = State::wrong_type;
    pending_ = Field::none;
    ++depth_;
    return true;
  }

  envelope_detail::RawFrame& frame_;
  int depth_ = 0;
  bool root_is_object_ = false;
  Field pending_ = Field::none;
  State v_state_ = State::absent;
  State msg_state_ = State::absent;
  State kid_state_ = State::absent;
  State sig_state_ = State::absent;
  State ignored_state_ = State::absent;
  std::string duplicate_;
};

// The fast path: a frame exactly as encode_frame() writes it, {"v":1,"msg":"..."} or
// {"v":1,"msg":"...","kid":"...","sig":"..."} (compact, in that order), whose strings hold only the
// two-character escapes and no "\u". It reads the payload once: unescaping the strings into the
// buffer (a copy of the payload, at the same offsets as an in-situ parse), noting non-ASCII bytes
// and "\u" in the message. Anything else, including every input that is in error (bad UTF-8, a
// NUL or control byte, an invalid kid, an empty sig), returns false and takes the general path
// below, which alone produces errors. So the outcome is the general path's, only sooner.
class CanonicalFrame {
 public:
  CanonicalFrame(std::string_view payload, envelope_detail::RawFrame& frame) noexcept
      : begin_(payload.data()),
        src_(payload.data()),
        end_(payload.data() + payload.size()),
        frame_(frame) {}

  bool parse() {
    static_assert(kProtocolMajor == 1, "the fast path's literal prefix names the version");
    frame_.buffer.assign(begin_, static_cast<std::size_t>(end_ - begin_));
    if (!literal("{\"v\":1,\"msg\":\"")) return false;
    std::size_t msg_offset = 0;
    std::size_t msg_size = 0;
    if (!string(msg_offset, msg_size, true)) return false;
    if (literal("}")) {
      if (src_ != end_) return false;
    } else {
      std::size_t kid_offset = 0, kid_size = 0, sig_offset = 0, sig_size = 0;
      if (!literal(",\"kid\":\"") || !string(kid_offset, kid_size, false) || !literal(",\"sig\":\"") ||
          !string(sig_offset, sig_size, false) || !literal("}") || src_ != end_) {
        return false;
      }
      const std::string_view kid(frame_.buffer.data() + kid_offset, kid_size);
      if (!is_valid_key_id(kid) || sig_size == 0) return false;
      frame_.kid.assign(kid.data(), kid.size());
      frame_.sig.assign(frame_.buffer.data() + sig_offset, sig_size);
    }
    if (high_ != 0 && !is_valid_utf8(std::string_view(begin_, static_cast<std::size_t>(end_ - begin_)))) return false;
    frame_.version = kProtocolMajor;
    frame_.msg_offset = msg_offset;
    frame_.msg_size = msg_size;
    frame_.unicode_escapes = backslash_u_;
    return true;
  }

 private:
  template <std::size_t N>
  bool literal(const char (&text)[N]) noexcept {
    constexpr std::size_t n = N - 1;
    if (static_cast<std::size_t>(end_ - src_) < n || std::memcmp(src_, text, n) != 0) return false;
    src_ += n;
    return true;
  }

  // The string whose opening quote has been read: unescaped to buffer[offset, offset + size),
  // followed by a '\0' (the closing quote's place or before), src_ past the closing quote.
  bool string(std::size_t& offset, std::size_t& size, bool note_backslash_u) noexcept {
    offset = static_cast<std::size_t>(src_ - begin_);
    char* const out_begin = &frame_.buffer[0] + offset;
    char* out = out_begin;
    const char* p = src_;
    // `out` never passes `p` (escapes only shrink), so a 16-byte store at `out` ends within the
    // buffer whenever the 16-byte load at `p` ends within the payload.
    for (;;) {
#if defined(__SSE2__)
      const __m128i quote = _mm_set1_epi8('"');
      const __m128i backslash = _mm_set1_epi8('\\');
      const __m128i below_space = _mm_set1_epi8(0x1F);
      while (end_ - p >= 16) {
        const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), s);
        high_ |= static_cast<unsigned>(_mm_movemask_epi8(s));  // bytes >= 0x80: the UTF-8 check at the end
        // s <= 0x1F (unsigned) <=> max(s, 0x1F) == 0x1F
        const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(s, below_space), below_space);
        const unsigned stop = static_cast<unsigned>(_mm_movemask_epi8(
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(s, quote), _mm_cmpeq_epi8(s, backslash)), control)));
        if (stop == 0) {
          p += 16;
          out += 16;
          continue;
        }
        const auto n = static_cast<unsigned>(__builtin_ctz(stop));
        p += n;
        out += n;
        // An escaped quote is what a message's every key and string value starts and ends with:
        // handled here, the loop goes on. Anything else goes to the byte at a time code below.
        if (p[0] == '\\' && end_ - p >= 2 && p[1] == '"') {
          *out++ = '"';
          p += 2;
          continue;
        }
        break;
      }
#endif
      // One byte at a time: the tail, and the byte the vector loop stopped at.
      if (p == end_) return false;
      const auto c = static_cast<unsigned char>(*p);
      if (c == '"') {
        *out = '\0';
        size = static_cast<std::size_t>(out - out_begin);
        src_ = p + 1;
        return true;
      }
      if (c == '\\') {
        if (end_ - p < 2) return false;
        char e = p[1];
        switch (e) {
          case '"': case '\\': case '/': break;
          case 'b': e = '\b'; break;
          case 'f': e = '\f'; break;
          case 'n': e = '\n'; break;
          case 'r': e = '\r'; break;
          case 't': e = '\t'; break;
          default: return false;  // "\u" escapes and invalid ones: the general path
        }
        // An escaped backslash followed by 'u' puts "\u" into the unescaped text (a message then
        // holds a \u escape: text_check.h).
        if (note_backslash_u && e == '\\' && end_ - p > 2 && p[2] == 'u') backslash_u_ = true;
        *out++ = e;
        p += 2;
        continue;
      }
      if (c < 0x20) return false;  // control bytes, NUL included: the general path reports them
      high_ |= c & 0x80u;
      *out++ = static_cast<char>(c);
      ++p;
    }
  }

  const char* const begin_;
  const char* src_;
  const char* const end_;
  envelope_detail::RawFrame& frame_;
  unsigned high_ = 0;
  bool backslash_u_ = false;
};

EnvelopeResult<envelope_detail::RawFrame> parse_raw(std::string_view payload, const CodecLimits& limits) {
  if (payload.size() > limits.max_bytes) {
    return EnvelopeStatus::error(EnvelopeError::too_large, "frame: " + std::to_string(payload.size()) +
                                                               " bytes, above the limit of " +
                                                               std::to_string(limits.max_bytes));
  }
  // The general path refuses any nesting when max_depth is 0, the frame object included.
  if (limits.max_depth > 0) {
    envelope_detail::RawFrame fast;
    if (CanonicalFrame(payload, fast).parse()) return fast;
  }
  const envelope_detail::TextScan scan = envelope_detail::scan_text(payload);
  if (scan.utf8_error != std::string_view::npos) {
    return EnvelopeStatus::error(EnvelopeError::invalid_utf8,
                                 "frame: invalid UTF-8 at offset " + std::to_string(scan.utf8_error));
  }
  envelope_detail::RawFrame frame;
  frame.unicode_escapes = scan.unicode_escapes;
  frame.buffer.assign(payload.data(), payload.size());  // parsed in place
  FrameCapture capture(frame);
  // The frame's strings are bounded by the payload size only: "msg" is most of the payload.
  EnvelopeStatus status = envelope_detail::parse_json(frame.buffer.data(), frame.buffer.size(), capture, "frame",
                                                      limits.max_depth, limits.max_bytes, &scan);
  if (status.ok()) status = capture.finish();
  if (!status.ok()) return status;
  return frame;
}

}  // namespace

namespace envelope_detail {
EnvelopeResult<RawFrame> parse_raw_frame(std::string_view payload, const CodecLimits& limits) noexcept {
  try {
    return parse_raw(payload, limits);
  } catch (const std::bad_alloc&) {
    return EnvelopeStatus::error(EnvelopeError::internal, "out of memory");
  }
}
}  // namespace envelope_detail

EnvelopeResult<Frame> parse_frame(std::string_view payload, const CodecLimits& limits) noexcept {
  try {
    EnvelopeResult<envelope_detail::RawFrame> raw = parse_raw(payload, limits);
    if (!raw.ok()) return raw.status();
    Frame frame;
    frame.version = raw->version;
    frame.msg.assign(raw->msg());
    frame.kid = std::move(raw->kid);
    frame.sig = std::move(raw->sig);
    return frame;
  } catch (const std::bad_alloc&) {
    return EnvelopeStatus::error(EnvelopeError::internal, "out of memory");
  }
}

EnvelopeResult<std::string> encode_frame(std::string_view msg_text, const std::optional<FrameSignature>& signature,
                                         const CodecLimits& limits) noexcept {
  try {
    if (msg_text.size() > limits.max_bytes) {
      return EnvelopeStatus::error(EnvelopeError::too_large, "frame.msg: " + std::to_string(msg_text.size()) +
                                                                 " bytes, above the limit of " +
                                                                 std::to_string(limits.max_bytes));
    }
    if (!is_valid_utf8(msg_text)) {
      return EnvelopeStatus::error(EnvelopeError::invalid_utf8, "frame.msg: the message text is not valid UTF-8");
    }
    if (signature) {
      if (!is_valid_key_id(signature->kid)) {
        return EnvelopeStatus::error(EnvelopeError::bad_value, "frame.kid: must be 1..64 characters from [A-Za-z0-9._:-]");
      }
      if (signature->sig.empty() || !is_valid_utf8(signature->sig)) {
        return EnvelopeStatus::error(EnvelopeError::bad_value, "frame.sig: must be non-empty base64");
      }
    }
    rapidjson::StringBuffer buffer(nullptr, msg_text.size() + msg_text.size() / 4 + 160);
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    writer.Key("v");
    writer.Int64(kProtocolMajor);
    writer.Key("msg");
    writer.String(msg_text.data(), static_cast<rapidjson::SizeType>(msg_text.size()));
    if (signature) {
      writer.Key("kid");
      writer.String(signature->kid.data(), static_cast<rapidjson::SizeType>(signature->kid.size()));
      writer.Key("sig");
      writer.String(signature->sig.data(), static_cast<rapidjson::SizeType>(signature->sig.size()));
    }
    writer.EndObject();
    if (buffer.GetSize() > limits.max_bytes) {
      return EnvelopeStatus::error(EnvelopeError::too_large, "frame: " + std::to_string(buffer.GetSize()) +
                                                                 " bytes, above the limit of " +
                                                                 std::to_string(limits.max_bytes));
    }
    return std::string(buffer.GetString(), buffer.GetSize());
  } catch (const std::bad_alloc&) {
    return EnvelopeStatus::error(EnvelopeError::internal, "out of memory");
  }
}

}  // namespace callsignal
