#include "core/envelope/decode.h"

#include <new>

#include "core/envelope/frame.h"
#include "core/envelope/message_codec.h"

namespace callsignal {

namespace {

EnvelopeResult<Decoded> decode_uncounted(std::string_view payload, const DecodeOptions& options) {
  EnvelopeResult<envelope_detail::RawFrame> frame = envelope_detail::parse_raw_frame(payload, options.limits);
  if (!frame.ok()) return frame.status();
  const bool keys_required = options.trusted_keys != nullptr && !options.trusted_keys->empty();

  const bool was_signed = frame->is_signed();
  Decoded decoded;
  decoded.msg_bytes = frame->msg_size;
  // Authenticate, then parse: with keys configured, the message parser and schema checks only see
  // bytes the service signed. Unsigned frames are parsed only to recognise the client's own drain
  // marker, and whatever else they hold is refused as unsigned.
  if (keys_required && was_signed) {
    EnvelopeStatus verified = options.trusted_keys->verify(frame->kid, frame->sig, frame->msg());
    if (!verified.ok()) return verified;
    decoded.verified = true;
    decoded.key_id = std::move(frame->kid);
  }
  // The frame parser checked the payload's UTF-8 and the unescaped "msg" for U+0000 and lone
  // surrogates, so the message needs no second UTF-8 pass. It is parsed where it sits in the
  // frame's buffer, which moves into the message's body. Without a "\u" in the frame there is none
  // in the message either (text_check.h).
  EnvelopeResult<Envelope> message = envelope_detail::parse_checked_message(
      std::move(frame->buffer), frame->msg_offset, frame->msg_size, options.limits, frame->unicode_escapes);
  if (keys_required && !was_signed) {
    // An unsigned frame: verify_frame applies the rule (and its one exception, the own drain).
    EnvelopeStatus allowed = verify_frame(Frame{}, message.ok() ? message.value() : Envelope{},
                                          options.trusted_keys, options.expected_recipient);
    if (!allowed.ok()) return allowed;
  }
  if (!message.ok()) return message.status();
  EnvelopeStatus addressed = check_recipient(message.value(), options.expected_recipient);
  if (!addressed.ok()) return addressed;
  decoded.message = std::move(message).value();
  return decoded;
}

}  // namespace

EnvelopeResult<Decoded> decode(std::string_view payload, const DecodeOptions& options) noexcept {
  EnvelopeResult<Decoded> result = [&]() -> EnvelopeResult<Decoded> {
    try {
      return decode_uncounted(payload, options);
    } catch (const std::bad_alloc&) {
      return EnvelopeStatus::error(EnvelopeError::internal, "out of memory");
    }
  }();
  if (!result.ok() && options.counters != nullptr) options.counters->count(result.code());
  return result;
}

}  // namespace callsignal
