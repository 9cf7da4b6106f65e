#include "core/client/device_inbox.h"

#include "core/client/publish_options.h"
#include "core/envelope/frame.h"
#include "core/envelope/message_codec.h"
#include "core/envelope/message_id.h"

namespace callsignal {
namespace {

constexpr const char* kRequestTopic = "req";

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Stamps and frames a message from this client (unsigned: clients hold no signing key) and
// publishes it with the MQTT 5 expiry its lifetime gives. Returns the id it got.
Result<std::string> publish_own(Session& session, const std::string& topic, Envelope message) {
  auto id = new_message_id();
  if (!id.ok()) return id.status();
  message.id = id.value();
  message.ts_ms = wall_clock_ms();
  auto text = encode_message(message);
  if (!text.ok()) return Status::error(Errc::internal, text.status().message);
  auto frame = encode_frame(text.value());
  if (!frame.ok()) return Status::error(Errc::internal, frame.status().message);
  const auto options = publish_options_for(message, message.ts_ms);
  auto seq = session.publish(topic, frame.value(), options.value_or(PublishOptions{}));
  if (!seq.ok()) return seq.status();
  return message.id;
}

}  // namespace

DeviceInbox::DeviceInbox(MessageFilter& filter, InboxListener& listener, InboxConfig config)
    : filter_(filter), listener_(listener), config_(config), drain_(config.drain_max_held) {}

void DeviceInbox::attach(Session& session, std::shared_ptr<EventLoop> loop) {
  session_ = &session;
  loop_ = std::move(loop);
}

void DeviceInbox::replay_undelivered() {
  for (const ReplayedMessage& kept : filter_.undelivered()) give(kept.message, true);
}

void DeviceInbox::ack_recorded(Session& session, const Envelope& message) {
  if (message.type == MessageType::drain) return;
  Envelope ack;
  ack.type = MessageType::ack;
  ack.from = session.client_id();
  ack.ttl_ms = 60'000;
  ack.body.set_string_list("ids", {message.id});
  (void)publish_own(session, session.topics().uplink(kRequestTopic), std::move(ack));
}

std::int64_t DeviceInbox::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void DeviceInbox::on_connection(const ConnectionEvent& event) {
  if (event.state == ConnectionState::connected && event.session_present) {
    begin_drain();
  } else if (event.state == ConnectionState::disconnected && drain_.collecting()) {
    if (drain_timer_ != 0) loop_->cancel(drain_timer_);
    drain_timer_ = 0;
    handle(drain_.abort());  // resolve what arrived so far: nothing is held across connections
  }
  listener_.on_connection(event);
}

// The broker queues the marker behind everything already queued for us: when it comes back, the
// backlog has been delivered.
void DeviceInbox::begin_drain() {
  if (session_ == nullptr || loop_ == nullptr) return;
  Envelope marker;
  marker.type = MessageType::drain;
  marker.from = session_->client_id();
  marker.to = session_->client_id();
  marker.ttl_ms = 60'000;
  auto marker_id = publish_own(*session_, session_->topics().p2p, std::move(marker));
  if (!marker_id.ok()) return;  // no marker: no drain, the backlog passes through as it comes
  handle(drain_.begin(marker_id.value(), now_ms() + config_.drain_deadline.count()));
  drain_timer_ = loop_->post_after(config_.drain_deadline, [this] { on_drain_tick(); });
}

void DeviceInbox::on_drain_tick() {
  drain_timer_ = 0;
  handle(drain_.on_tick(now_ms()));
}

void DeviceInbox::on_message(const InboundMessage& message) {
  const Decoded* decoded = decoded_of(message);
  if (decoded == nullptr) return;  // not admitted by the filter (no gate configured)
  DrainOutput output = drain_.on_message(decoded->message);
  if (output.finished() && drain_timer_ != 0) {
    loop_->cancel(drain_timer_);
    drain_timer_ = 0;
  }
  handle(std::move(output));
}

// Missed calls go to the app in their place in time among the released messages.
void DeviceInbox::handle(DrainOutput output) {
  for (const DroppedMessage& dropped : output.dropped) (void)filter_.mark_delivered(dropped.message.id);
  std::size_t next_missed = 0;
  for (std::size_t i = 0; i <= output.release.size(); ++i) {
    for (; next_missed < output.missed.size() && output.missed[next_missed].release_index == i; ++next_missed) {
      const MissedCall& missed = output.missed[next_missed];
      listener_.on_missed_call(missed);
      (void)filter_.mark_delivered(missed.invite.id);
      (void)filter_.mark_delivered(missed.ended_by.id);
    }
    if (i < output.release.size()) give(output.release[i], false);
  }
}

void DeviceInbox::give(const Envelope& message, bool replayed) {
  listener_.on_envelope(message, replayed);
  (void)filter_.mark_delivered(message.id);
}

}  // namespace callsignal
