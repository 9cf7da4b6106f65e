#include "core/client/uplink.h"

#include "core/client/publish_options.h"
#include "core/envelope/frame.h"
#include "core/envelope/message_codec.h"
#include "core/envelope/message_id.h"

namespace callsignal {

Result<std::string> own_frame(const Envelope& message) {
  auto text = encode_message(message);
  if (!text.ok()) return Status::error(Errc::internal, text.status().message);
  auto frame = encode_frame(text.value());
  if (!frame.ok()) return Status::error(Errc::internal, frame.status().message);
  return std::move(frame).value();
}

Result<std::string> publish_own(Session& session, const std::string& topic, Envelope message,
                                std::int64_t service_now_ms) {
  if (message.id.empty()) {
    auto id = new_message_id();
    if (!id.ok()) return id.status();
    message.id = id.value();
  }
  message.ts_ms = service_now_ms;
  auto frame = own_frame(message);
  if (!frame.ok()) return frame.status();
  const auto options = publish_options_for(message, service_now_ms);
  if (!options) return Status::error(Errc::expired, "message " + message.id + " has no lifetime left");
  auto seq = session.publish(topic, frame.value(), *options);
  if (!seq.ok()) return seq.status();
  return message.id;
}

}  // namespace callsignal
