#include "support/frames.h"

#include <chrono>
#include <stdexcept>

#include "core/envelope/frame.h"
#include "core/envelope/message_codec.h"
#include "core/envelope/message_id.h"

namespace callsignal::test {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Envelope downlink(MessageType type, const std::string& to, const std::string& call_id, std::int64_t ttl_ms,
                  std::int64_t ts_ms) {
  Envelope message;
  auto id = new_message_id();
  if (!id.ok()) throw std::runtime_error("new_message_id: " + id.status().message);
  message.id = id.value();
  message.type = type;
  message.from = "callsignal-service";
  message.to = to;
  message.ts_ms = ts_ms != 0 ? ts_ms : now_ms();
  message.ttl_ms = ttl_ms;
  if (is_call_scoped(type)) message.call_id = call_id;
  switch (type) {
    case MessageType::invite:
      message.body.set_string("caller", "alice")
          .set_string_list("callees", {"bob"})
          .set_string("media", "audio")
          .set_string("role", "callee")
          .set_string_map("rtc", {{"channel", call_id}, {"token", "t"}});
      break;
    case MessageType::call_ended:
      message.body.set_string("reason", "remote_hangup");
      break;
    default:
      break;
  }
  return message;
}

std::string frame_of(const Envelope& message, const Signer* signer) {
  auto text = encode_message(message);
  if (!text.ok()) throw std::runtime_error("encode_message: " + text.status().message);
  auto frame = signer ? signer->sign_frame(text.value()) : encode_frame(text.value());
  if (!frame.ok()) throw std::runtime_error("frame: " + frame.status().message);
  return frame.value();
}

}  // namespace callsignal::test
