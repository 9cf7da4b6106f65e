// An invite the app may have shown just before its process ended comes back at the next start
// flagged `replayed`, so the app can check its own state instead of ringing blindly. The first run
// here ends inside its ring callback (a destroy from the callback stands in for a kill): the SDK
// never learns that the app had the invite, so it keeps it.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "capi_support.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace callsignal::capi_test {
namespace {

struct RingLog {
  bool destroy_in_ring = false;
  cs_client_t* client = nullptr;
  test::EventLog<int> rings;  // event->replayed of each ring
  test::EventLog<int> released;

  cs_listener_t listener() {
    cs_listener_t l = CS_LISTENER_INIT;
    l.user_data = this;
    l.release = [](void* u) { static_cast<RingLog*>(u)->released.push(1); };
    l.on_incoming_call = [](void* u, const cs_incoming_call_t* e) {
      auto* self = static_cast<RingLog*>(u);
      self->rings.push(e->replayed);
      if (self->destroy_in_ring) cs_client_destroy(self->client);
    };
    return l;
  }
};

// Creates a client on `options`. A client destroyed from inside its callback finishes its teardown
// on the SDK's blocking thread after its release: until then its data_dir is still locked, and a
// create on it fails with CS_E_IO. So this retries on that error, within kWait.
cs_client_t* create_with(cs_client_options_t& options, RingLog& log) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  for (;;) {
    cs_listener_t listener = log.listener();
    cs_error_t err{};
    const int rc = cs_client_create(&options, &listener, &log.client, &err);
    if (rc == CS_OK) return log.client;
    INFO(err.message);
    REQUIRE(rc == CS_E_IO);
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::yield();
  }
}

}  // namespace

TEST_CASE("replay: an invite whose run ended during its ring rings again at the next start, flagged replayed",
          "[api]") {
  test::TempDir dir("callsignal-capi-replay-");
  const std::string data_dir = dir.path();
  TestOptions options;
  cs_client_options_t& o = options.options();
  o.data_dir = data_dir.c_str();

  RingLog first;
  first.destroy_in_ring = true;
  cs_client_t* client = create_with(o, first);
  const std::string frame = service_frame("invite", options.client_id(), "c-replay");
  cs_error_t err{};
  REQUIRE(cs_client_push_received(client, frame.data(), frame.size(), &err) == CS_OK);
  REQUIRE(first.rings.wait_for_size(1, kWait));
  CHECK(first.rings.snapshot()[0] == 0);  // news to this run
  REQUIRE(first.released.wait_for_size(1, kWait));

  RingLog second;
  ClientPtr again(create_with(o, second));
  err = cs_error_t{};
  REQUIRE(cs_client_connect(again.get(), &err) == CS_OK);  // hands over what the ledger kept
  REQUIRE(second.rings.wait_for_size(1, kWait));
  CHECK(second.rings.snapshot()[0] == 1);
}

}  // namespace callsignal::capi_test
