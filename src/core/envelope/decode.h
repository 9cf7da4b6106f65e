// One call from MQTT payload (or OS push payload) to a checked message: parse the frame, parse and
// validate the message, check the signature and the recipient, count the reason of any refusal.
// This is what the session and filter layers call for every inbound message.
#pragma once

#include <string>
#include <string_view>

#include "core/envelope/codec_limits.h"
#include "core/envelope/envelope.h"
#include "core/envelope/envelope_error.h"
#include "core/envelope/signing.h"

namespace callsignal {

struct DecodeOptions {
  CodecLimits limits;
  // Signatures are required when this is non-null and non-empty (production). Null or empty: not
  // checked (development only; see verify_frame). Not owned; must outlive the decode() calls.
  const TrustedKeys* trusted_keys = nullptr;
  // This client's id: messages addressed to anyone else are wrong_recipient. Empty: no check
  // (the control service, tools).
  std::string expected_recipient;
  // Receives one count per refusal, for its reason. Not owned; may be shared between threads.
  RejectCounters* counters = nullptr;
};

struct Decoded {
  Envelope message;
  std::string key_id;     // the trusted key that verified the signature; empty when none did
  bool verified = false;  // a trusted key verified the signature (false: unchecked, or own drain)
  std::size_t msg_bytes = 0;  // size of the signed message text, for metrics
};

// The steps, in order; the first failure is returned and counted in options.counters:
//  1. parse_frame(): size, UTF-8, JSON, frame fields, protocol major.
//  2. With trusted keys and a signed frame: the signature over the msg bytes (unknown_key,
//     bad_signature), before the message is parsed, so that parsing and validation only ever run
//     on authenticated bytes.
//  3. parse_message(): the message's JSON, header fields, type, body schema.
//  4. With trusted keys and an unsigned frame: unsigned_message, whatever the message holds
//     (malformed or not), except the client's own drain marker (verify_frame).
//  5. check_recipient().
// Never throws. Thread-safe for concurrent calls with the same options (TrustedKeys is only read,
// RejectCounters is atomic).
EnvelopeResult<Decoded> decode(std::string_view payload, const DecodeOptions& options) noexcept;

}  // namespace callsignal
