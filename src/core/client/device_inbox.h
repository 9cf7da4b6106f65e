// DeviceInbox: the inbound half of a client. It turns what the session receives (and what the
// filter admitted) into what the app should see, and acknowledges durable receipt:
//   - on a reconnect with session present, it publishes a drain marker to its own P2P topic and
//     holds the queued backlog until the marker comes back (or a deadline), so an invite already
//     cancelled or ended in the same backlog never rings: the app gets a missed call instead
//     (BacklogDrain);
//   - it hands every other admitted message to the app once, and has it marked delivered in the
//     ledger once the app has it (InboxListener::after_delivery); messages the ledger kept from
//     before a restart come first, flagged as replayed;
//   - it acks every durably recorded downlink message to the service (MessageFilter's
//     on_recorded hook, see ack_recorded()), which re-sends until it gets the ack.
//
// Threads: every SessionListener callback and every InboxListener callback runs on the session's
// event loop thread. replay_undelivered() runs on the caller's thread, before Session::start().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/envelope/envelope.h"
#include "core/filter/backlog_drain.h"
#include "core/filter/message_filter.h"
#include "core/session/event_loop.h"
#include "core/session/session.h"

namespace callsignal {

// Callbacks on the session's event loop thread, serially.
class InboxListener {
 public:
  virtual ~InboxListener() = default;
  // A message for the app. replayed: admitted before a restart and maybe already seen by the app
  // just before the process died: the app checks its own state for it.
  virtual void on_envelope(const Envelope& message, bool replayed) = 0;
  // An invite whose call ended (cancelled, hung up) before the device came back.
  virtual void on_missed_call(const MissedCall& missed) = 0;
  virtual void on_connection(const ConnectionEvent& event) { (void)event; }
  // Called right after on_envelope / on_missed_call with the step that marks what they consumed
  // delivered in the ledger. A listener that hands messages to the app later (queued callbacks)
  // runs it once the app has them: a kill before that leaves the message undelivered, so the
  // next start replays it (flagged) instead of losing it. Default: at once.
  virtual void after_delivery(std::function<void()> mark_delivered) { mark_delivered(); }
};

struct InboxConfig {
  std::chrono::milliseconds drain_deadline{3'000};  // how long to wait for the marker
  std::size_t drain_max_held = BacklogDrain::kDefaultMaxHeld;
};

class DeviceInbox final : public SessionListener {
 public:
  DeviceInbox(MessageFilter& filter, InboxListener& listener, InboxConfig config = {});

  // The session this inbox listens to (created with this inbox as its listener and the filter as
  // its gate). Must be called before Session::start(); the session must outlive the inbox's use.
  void attach(Session& session, std::shared_ptr<EventLoop> loop);
  // Hands the app what the ledger kept from before a restart (flagged replayed).
  void replay_undelivered();

  // Publishes an `ack` for `message` on <uplink>/req, stamped `service_now_ms`. Meant for
  // FilterConfig::on_recorded (runs on Paho's receive thread: it only appends to the outbox).
  // Loopback messages (drain) are not acked.
  static void ack_recorded(Session& session, const Envelope& message, std::int64_t service_now_ms);

  // SessionListener.
  void on_connection(const ConnectionEvent& event) override;
  void on_message(const InboundMessage& message) override;

 private:
  void begin_drain();
  void on_drain_tick();
  void handle(DrainOutput output);
  void give(const Envelope& message, bool replayed);
  std::int64_t now_ms() const;

  MessageFilter& filter_;
  InboxListener& listener_;
  const InboxConfig config_;
  Session* session_ = nullptr;
  std::shared_ptr<EventLoop> loop_;
  BacklogDrain drain_;
  EventLoop::TimerId drain_timer_ = 0;
};

}  // namespace callsignal
