// A full 1:1 call seen through the C ABI alone: two cs_client_t (alice and bob) and the reference
// control service in-process, on the fixture broker. The clients trust the service's signing key.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "callsignal/callsignal.h"
#include "capi_support.h"
#include "control/control_service.h"
#include "core/envelope/signing.h"
#include "support/shared_broker.h"

namespace callsignal::capi_test {
namespace {

std::string random_tag() {
  std::random_device rd;
  const char* hex = "0123456789abcdef";
  std::string tag;
  for (int i = 0; i < 8; ++i) tag += hex[rd() % 16];
  return tag;
}

// The service on fresh topics with a fresh signing key; its log lines kept, not printed.
class Service {
 public:
  explicit Service(const std::string& uri) : log_(std::make_shared<EventLog<std::string>>()) {
    const std::string tag = random_tag();
    control::ControlConfig config;
    config.broker_uris = {uri};
    config.uplink_parent = "u" + tag;
    config.downlink_parent = "d" + tag;
    config.mqtt_client_id = "svc@@@capi-" + tag;
    config.session_expiry_s = 60;
    auto signer = Signer::generate("capi-" + tag);
    REQUIRE(signer.ok());
    config.signer = signer.value();
    config.rtc.vendor = "test";
    config.rtc.app_id = "capi-app";
    config.rtc.app_key = "capi-app-key-" + tag;
    config.limits.resend_interval_ms = 300;
    auto log = log_;
    config.log_sink = [log](const std::string& line) { log->push(line); };
    auto service = control::ControlService::create(std::move(config));
    INFO((service.ok() ? std::string() : service.status().message));
    REQUIRE(service.ok());
    service_ = std::move(service).value();
    REQUIRE(service_->start().ok());
    REQUIRE(service_->wait_connected(kWait));
  }
  ~Service() {
    service_->stop();
    // CALLSIGNAL_SERVICE_LOG=1: the service's log lines, for a failing test.
    if (std::getenv("CALLSIGNAL_SERVICE_LOG") != nullptr) std::fprintf(stderr, "%s", log_text().c_str());
  }

  control::ControlService& operator*() { return *service_; }
  control::ControlService* operator->() { return service_.get(); }
  std::string log_text() const {
    std::string text;
    for (const std::string& line : log_->snapshot()) text += line + "\n";
    return text;
  }

  // Polls the service's counters until pred holds or the wait ends.
  bool wait_stats(const std::function<bool(const control::ControlStats&)>& pred) {
    test::Deadline deadline(kWait);
    while (!pred(service_->stats())) {
      if (deadline.expired()) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

 private:
  std::shared_ptr<EventLog<std::string>> log_;
  std::unique_ptr<control::ControlService> service_;
};

// A device of `user` configured for the service: its topics, its key.
struct Device {
  Device(Service& service, const std::string& uri, const std::string& user)
      : options(uri, user, unique_device("capi-" + user)) {
    options.uplink = service->config().uplink_parent;
    options.downlink = service->config().downlink_parent;
    options.trust(service->key_id(), service->public_key_base64());
    client = create_client(options, recorder);
  }
  TestOptions options;
  Recorder recorder;
  ClientPtr client;
};

std::string param(const RtcRecord& rtc, const std::string& key) {
  for (const auto& [k, v] : rtc.params)
    if (k == key) return v;
  return "<none>";
}

}  // namespace

TEST_CASE("call: a 1:1 call through the C ABI alone from invite to hangup", "[broker][call]") {
  const std::string uri = test::shared_broker_uri();
  Service service(uri);
  Device alice(service, uri, "alice");
  Device bob(service, uri, "bob");
  REQUIRE(cs_client_connect(alice.client.get(), nullptr) == CS_OK);
  REQUIRE(cs_client_connect(bob.client.get(), nullptr) == CS_OK);
  REQUIRE(alice.recorder.wait_state(CS_CONNECTION_CONNECTED));
  REQUIRE(bob.recorder.wait_state(CS_CONNECTION_CONNECTED));
  // Both said hello: the service knows where bob rings.
  REQUIRE(service.wait_stats([](const control::ControlStats& s) { return s.devices_known >= 2; }));

  // Alice calls bob.
  const char* callees[] = {"bob"};
  cs_call_options_t call = CS_CALL_OPTIONS_INIT;
  call.callees = callees;
  call.callee_count = 1;
  call.custom_json = "{\"topic\":\"lunch\"}";
  char request_id[CS_CALL_ID_SIZE] = {};
  cs_error_t err{};
  REQUIRE(cs_client_start_call(alice.client.get(), &call, request_id, &err) == CS_OK);
  REQUIRE(alice.recorder.wait_call_state(request_id, CS_CALL_OUTGOING));

  // The service names the call; alice dials and joins RTC.
  REQUIRE(alice.recorder.call_ids.wait_for_size(1, kWait));
  const auto [named_request, call_id] = alice.recorder.call_ids.snapshot().at(0);
  CHECK(named_request == request_id);
  REQUIRE(!call_id.empty());
  REQUIRE(alice.recorder.wait_call_state(call_id, CS_CALL_DIALING));
  REQUIRE(alice.recorder.join_rtc.wait_for_size(1, kWait));
  const RtcRecord alice_rtc = alice.recorder.join_rtc.snapshot().at(0);
  CHECK(alice_rtc.call_id == call_id);
  CHECK(alice_rtc.vendor == "test");
  CHECK(!alice_rtc.params.empty());
  CHECK(alice_rtc.params_json.front() == '{');
  REQUIRE(cs_client_rtc_joined(alice.client.get(), call_id.c_str(), &err) == CS_OK);

  // Bob rings.
  REQUIRE(bob.recorder.wait_incoming(1));
  const IncomingRecord ring = bob.recorder.incoming.snapshot().at(0);
  CHECK(ring.call_id == call_id);
  CHECK(ring.caller == "alice");
  CHECK(ring.media == CS_MEDIA_AUDIO);
  CHECK(ring.custom_json == "{\"topic\":\"lunch\"}");
  CHECK(ring.callees == std::vector<std::string>{"bob"});
  CHECK_FALSE(ring.waiting);
  REQUIRE(bob.recorder.wait_call_state(call_id, CS_CALL_INCOMING));

  // Bob answers and joins RTC.
  REQUIRE(cs_client_accept(bob.client.get(), call_id.c_str(), &err) == CS_OK);
  REQUIRE(bob.recorder.wait_call_state(call_id, CS_CALL_ACCEPTING));
  REQUIRE(bob.recorder.join_rtc.wait_for_size(1, kWait));
  const RtcRecord bob_rtc = bob.recorder.join_rtc.snapshot().at(0);
  CHECK(bob_rtc.call_id == call_id);
  CHECK(bob_rtc.vendor == "test");
  CHECK(!bob_rtc.params.empty());
  // The same channel, minted for each of them.
  CHECK(param(bob_rtc, "channel") == param(alice_rtc, "channel"));
  CHECK(bob_rtc.params_json != alice_rtc.params_json);
  REQUIRE(cs_client_rtc_joined(bob.client.get(), call_id.c_str(), &err) == CS_OK);

  // Both in the call.
  REQUIRE(bob.recorder.wait_call_state(call_id, CS_CALL_ACTIVE));
  REQUIRE(alice.recorder.wait_call_state(call_id, CS_CALL_ACTIVE));
  REQUIRE(service.wait_stats([](const control::ControlStats& s) { return s.calls_active == 1; }));

  // Alice hangs up: both leave RTC and end.
  REQUIRE(cs_client_hangup(alice.client.get(), call_id.c_str(), &err) == CS_OK);
  REQUIRE(alice.recorder.leave_rtc.wait_for_size(1, kWait));
  CHECK(alice.recorder.leave_rtc.snapshot().at(0) == call_id);
  REQUIRE(cs_client_rtc_left(alice.client.get(), call_id.c_str(), &err) == CS_OK);
  REQUIRE(bob.recorder.leave_rtc.wait_for_size(1, kWait));
  REQUIRE(cs_client_rtc_left(bob.client.get(), call_id.c_str(), &err) == CS_OK);
  REQUIRE(alice.recorder.wait_call_state(call_id, CS_CALL_ENDED));
  REQUIRE(bob.recorder.wait_call_state(call_id, CS_CALL_ENDED));
  auto end_reason = [&](Recorder& r) {
    for (const StateRecord& s : r.states.snapshot())
      if (s.call_id == call_id && s.state == CS_CALL_ENDED) return s.reason;
    return CS_END_NONE;
  };
  CHECK(end_reason(alice.recorder) == CS_END_LOCAL_HANGUP);
  CHECK(end_reason(bob.recorder) == CS_END_REMOTE_HANGUP);
  REQUIRE(service.wait_stats([](const control::ControlStats& s) { return s.calls_ended == 1 && s.calls_active == 0; }));

  // Nothing forged, nothing refused, no error along the way.
  for (Device* device : {&alice, &bob}) {
    cs_stats_t stats = CS_STATS_INIT;
    REQUIRE(cs_client_get_stats(device->client.get(), &stats, nullptr) == CS_OK);
    CHECK(stats.forged_dropped == 0);
    CHECK(stats.invalid_dropped == 0);
    CHECK(stats.delivered > 0);
    CHECK(device->recorder.errors.size() == 0);
  }
  CHECK(service->stats().refused_total() == 0);
}

}  // namespace callsignal::capi_test
