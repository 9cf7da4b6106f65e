// Backlog drain against a real broker: a device that comes back to a queued invite and its
// cancel never rings; it gets a missed call, and the call that is still live rings. And the
// inbox leaves a message undelivered in the ledger until the app has it.
#include <catch2/catch.hpp>

#include <functional>
#include <initializer_list>
#include <mutex>
#include <vector>

#include "core/client/device_inbox.h"
#include "integration/session_fixtures.h"
#include "support/frames.h"
#include "support/shared_broker.h"
#include "support/temp_dir.h"

using namespace callsignal;
using namespace callsignal::test;

namespace {

struct AppEvents : InboxListener {
  EventLog<Envelope> envelopes;
  EventLog<MissedCall> missed;
  EventLog<ConnectionEvent> connection;
  void on_envelope(const Envelope& message, bool) override { envelopes.push(message); }
  void on_missed_call(const MissedCall& call) override { missed.push(call); }
  void on_connection(const ConnectionEvent& event) override { connection.push(event); }
};

// A device: filter (with the service's key), inbox and session, wired as the client wires them.
struct Device {
  std::shared_ptr<EventLoop> loop = EventLoop::create("device");
  std::unique_ptr<MessageFilter> filter;
  std::unique_ptr<DeviceInbox> inbox;
  std::unique_ptr<Session> session;
  std::atomic<Session*> live{nullptr};

  Device(const SessionConfig& config, const Signer& service_key, AppEvents& app) {
    FilterConfig filter_config;
    filter_config.data_dir = config.data_dir;
    filter_config.client_id = config.group_id + "@@@" + config.device_id;
    REQUIRE(filter_config.trusted_keys.add_base64(service_key.key_id(), service_key.public_key_base64()).ok());
    filter_config.on_recorded = [this](const Envelope& m) {
      if (Session* s = live.load()) DeviceInbox::ack_recorded(*s, m, now_ms());
    };
    filter = MessageFilter::open(std::move(filter_config)).value();
    inbox = std::make_unique<DeviceInbox>(*filter, app);
    session = make_session(config, *inbox, loop, filter.get());
    inbox->attach(*session, loop);
    live = session.get();
    inbox->replay_undelivered();
    REQUIRE(session->start().ok());
  }
  ~Device() {
    live = nullptr;
    session.reset();
  }
};

bool wait_connected(AppEvents& app) {
  return app.connection.wait_for_count(
      [](const ConnectionEvent& e) { return e.state == ConnectionState::connected; }, 1, kWait);
}

// The service side: publishes `messages`, signed, to `client_id`'s P2P topic and waits until the
// broker has them all.
void publish_signed(const std::string& uri, const std::string& client_id, const Signer& key,
                    std::initializer_list<const Envelope*> messages) {
  RecordingListener events;
  auto service = make_session(test_config(uri, unique_device("svc")), events);
  REQUIRE(service->start().ok());
  for (const Envelope* m : messages) REQUIRE(service->publish(p2p_topic("dl", client_id), frame_of(*m, &key)).ok());
  REQUIRE(events.published.wait_for_size(messages.size(), kWait));
}

}  // namespace

TEST_CASE("an invite cancelled while the device was away never rings: a missed call instead",
          "[drain][filter]") {
  const std::string uri = shared_broker_uri();
  TempDir data;
  const SessionConfig config = test_config(uri, unique_device("away"), data.path());
  const std::string client_id = "GID_test@@@" + config.device_id;
  Signer service_key = Signer::generate("svc-1").value();
  {
    AppEvents app;
    Device first_run(config, service_key, app);  // registers the persistent session
    REQUIRE(wait_connected(app));
  }

  // While the device is away: an invite and its cancel, then an invite that stays live.
  const Envelope cancelled_invite = downlink(MessageType::invite, client_id, "c-gone");
  const Envelope cancel = downlink(MessageType::cancel, client_id, "c-gone");
  const Envelope live_invite = downlink(MessageType::invite, client_id, "c-live");
  publish_signed(uri, client_id, service_key, {&cancelled_invite, &cancel, &live_invite});

  AppEvents app;
  Device device(config, service_key, app);
  REQUIRE(app.missed.wait_for_size(1, kWait));
  REQUIRE(app.envelopes.wait_for_size(1, kWait));
  const MissedCall missed = app.missed.snapshot()[0];
  CHECK(missed.invite.id == cancelled_invite.id);
  CHECK(missed.ended_by.id == cancel.id);
  CHECK(missed.reason == MissedReason::cancelled);
  const auto rang = app.envelopes.snapshot();
  REQUIRE(rang.size() == 1);
  CHECK(rang[0].id == live_invite.id);
  // Nothing is left undelivered in the ledger: a restart replays nothing. (Closing the session
  // first: it returns once the event thread is done with the callbacks that mark them.)
  device.live = nullptr;
  device.session->close();
  CHECK(device.filter->undelivered().empty());
}

namespace {

// An app whose callbacks are queued: it keeps the inbox's mark steps until told the app has run.
struct QueuedApp : AppEvents {
  std::mutex mu;
  std::vector<std::function<void()>> marks;
  void after_delivery(std::function<void()> mark_delivered) override {
    std::lock_guard<std::mutex> lock(mu);
    marks.push_back(std::move(mark_delivered));
  }
  void run_marks() {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& mark : marks) mark();
    marks.clear();
  }
};

}  // namespace

TEST_CASE("a message stays undelivered in the ledger until the app has it", "[drain][filter]") {
  const std::string uri = shared_broker_uri();
  TempDir data;
  const SessionConfig config = test_config(uri, unique_device("later"), data.path());
  const std::string client_id = "GID_test@@@" + config.device_id;
  Signer service_key = Signer::generate("svc-1").value();
  QueuedApp app;
  Device device(config, service_key, app);
  REQUIRE(wait_connected(app));

  const Envelope invite = downlink(MessageType::invite, client_id, "c-later");
  publish_signed(uri, client_id, service_key, {&invite});
  REQUIRE(app.envelopes.wait_for_size(1, kWait));

  // Handed over, but the app's callback has not run: a kill now must replay it, not lose it.
  device.live = nullptr;
  device.session->close();
  auto kept = device.filter->undelivered();
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].message.id == invite.id);
  app.run_marks();  // the app has it now
  CHECK(device.filter->undelivered().empty());
}
