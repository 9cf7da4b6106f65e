#include "core/client/device_inbox.h"

#include "core/client/uplink.h"

namespace callsignal {

DeviceInbox::DeviceInbox(MessageFilter& filter, InboxListener& listener, InboxConfig config)
    : filter_(filter), listener_(listener), config_(config), drain_(config.drain_max_held) {}

void DeviceInbox::attach(Session& session, std::shared_ptr<EventLoop> loop) {
  session_ = &session;
  loop_ = std::move(loop);
}

void DeviceInbox::replay_undelivered() {
  for (const ReplayedMessage& kept : filter_.undelivered()) give(kept.message, true);
}

void DeviceInbox::ack_recorded(Session& session, const Envelope& message, std::int64_t service_now_ms) {
  if (message.type == MessageType::drain) return;
  Envelope ack;
  ack.type = MessageType::ack;
  ack.from = session.client_id();
  ack.ttl_ms = 60'000;
  ack.body.set_string_list("ids", {message.id});
  (void)publish_own(session, session.topics().uplink(kRequestTopicLevel), std::move(ack), service_now_ms);
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
  // Stamped by the service clock estimate: the marker comes back through the filter's expiry check.
  auto marker_id = publish_own(*session_, session_->topics().p2p, std::move(marker), filter_.service_now());
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
      MessageFilter* filter = &filter_;
      listener_.after_delivery([filter, invite = missed.invite.id, ended_by = missed.ended_by.id] {
        (void)filter->mark_delivered(invite);
        (void)filter->mark_delivered(ended_by);
      });
    }
    if (i < output.release.size()) give(output.release[i], false);
  }
}

void DeviceInbox::give(const Envelope& message, bool replayed) {
  listener_.on_envelope(message, replayed);
  MessageFilter* filter = &filter_;
  listener_.after_delivery([filter, id = message.id] { (void)filter->mark_delivered(id); });
}

}  // namespace callsignal
