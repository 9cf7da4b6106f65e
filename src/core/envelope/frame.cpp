#include "core/envelope/frame.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <limits>
#include <new>

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

EnvelopeResult<envelope_detail::RawFrame> parse_raw(std::string_view payload, const CodecLimits& limits) {
  if (payload.size() > limits.max_bytes) {
    return EnvelopeStatus::error(EnvelopeError::too_large, "frame: " + std::to_string(payload.size()) +
                                                               " bytes, above the limit of " +
                                                               std::to_string(limits.max_bytes));
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
